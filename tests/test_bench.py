"""The benchmark's words for peers it cannot run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from literllm.bench._peers import peer_unavailable


def test_a_peer_that_is_not_installed() -> None:
    try:
        import literllm_no_such_peer  # type: ignore[import-not-found]  # noqa: F401
    except ImportError as exc:
        error = exc
    assert peer_unavailable("literllm_no_such_peer", "no-such-peer", error) == (
        "not installed (pip install no-such-peer)"
    )


def test_an_installed_peer_whose_import_fails_says_why(tmp_path: Path) -> None:
    # httpx-sse installed without httpx: the package is there, its import is not.
    package = tmp_path / "httpx_sse"
    package.mkdir()
    (package / "__init__.py").write_text("import httpx_missing_dependency\n")
    code = (
        "from literllm.bench.__main__ import _httpx_sse_runner; print(_httpx_sse_runner())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert out == (
        "installed, but importing it failed: ModuleNotFoundError: "
        "No module named 'httpx_missing_dependency'"
    )
