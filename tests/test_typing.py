"""The request types as a user's type checker sees them: mypy --strict on tests/typing/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = Path(__file__).parent / "typing" / "user_program.py"


@pytest.mark.slow
def test_user_program_type_checks_and_every_mistake_is_caught() -> None:
    pytest.importorskip("mypy", reason="mypy is part of the [test] extra")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--warn-unused-ignores",
         "--no-incremental", "--cache-dir", "/dev/null", str(PROGRAM)],
        capture_output=True, text=True, check=False,
    )
    # An unused ignore means mypy let one of the program's mistakes through.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
    marked = PROGRAM.read_text().count("# type: ignore[")
    assert marked >= 12  # wrong role, no role, misspelt effort, ... (see the program)
