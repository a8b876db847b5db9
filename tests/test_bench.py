"""The benchmark: its words for peers it cannot run, and what its client rows count."""

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


async def test_the_client_rows_count_the_page_faults_of_a_run() -> None:
    """The client rows' faults/1k: minor page faults per item over the measured runs (a
    run that takes fresh pages shows them; one that reuses its memory shows none)."""
    import mmap

    from literllm.bench.client import _measure

    async def fresh_pages(base_url: str, model: str) -> tuple[int, float]:
        block = mmap.mmap(-1, 4 << 20)  # 1,024 pages the kernel has not given out yet
        for offset in range(0, len(block), mmap.PAGESIZE):
            block[offset] = 1
        block.close()
        return 100, 0.0

    async def no_pages(base_url: str, model: str) -> tuple[int, float]:
        return 100, 0.0

    count, _cpu, _wall, _ttfc, faults = await _measure(fresh_pages, "", "", 3)
    assert count == 100
    assert faults > 5  # about 10 a item: 1,024 pages a run, 100 items a run
    assert (await _measure(no_pages, "", "", 3))[4] < 1
