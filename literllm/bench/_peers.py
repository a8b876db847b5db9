"""How the benchmark words a peer it cannot run."""

from __future__ import annotations

import importlib.util

__all__ = ["peer_unavailable"]


def peer_unavailable(module: str, distribution: str, error: ImportError) -> str:
    """Why a peer cannot run: "not installed" only when it is not, else why its import failed.

    httpx-sse without httpx, say, is installed: its import fails on the missing httpx.
    """
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return f"not installed (pip install {distribution})"
    return f"installed, but importing it failed: {type(error).__name__}: {error}"
