"""Recording a streamed response body as it arrives, for ``replay()`` later.

The body is written byte for byte to the path given; a sidecar ``<path>.json`` says what it
is (provider, model, status, content type, request id, when, how it ended). No request or
response header goes into it: the ones that matter here carry no secret, and the rest might.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
from typing import IO, Any

from .errors import ConfigurationError

__all__ = ["Recorder", "read_sidecar", "sidecar_path"]


def sidecar_path(path: str | os.PathLike[str]) -> str:
    return os.fspath(path) + ".json"


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The sidecar of a recording, if there is one."""
    try:
        with open(sidecar_path(path), encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class Recorder:
    """Tees one response body to a file; the sidecar is written at the start and the end."""

    __slots__ = ("_file", "_info", "_path", "bytes")

    def __init__(self, path: str | os.PathLike[str], info: dict[str, Any]) -> None:
        self._path = os.fspath(path)
        try:
            self._file: IO[bytes] | None = open(self._path, "wb")  # noqa: SIM115
        except OSError as exc:
            raise ConfigurationError(f"cannot record to {self._path!r}: {exc.strerror}") from exc
        self._info = {
            **info,
            "recorded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "outcome": "in progress",
        }
        self.bytes = 0
        self._write_sidecar()

    def _write_sidecar(self) -> None:
        with open(sidecar_path(self._path), "w", encoding="utf-8") as file:
            json.dump(self._info, file, indent=2)
            file.write("\n")

    def write(self, data: bytes) -> None:
        if self._file is not None:
            self._file.write(data)
            self.bytes += len(data)

    def close(self, outcome: str) -> None:
        """Finish the recording; ``outcome`` is "complete", "closed early" or the error."""
        if self._file is None:
            return
        self._file.close()
        self._file = None
        self._info["outcome"] = outcome
        self._info["bytes"] = self.bytes
        # The body is saved; a sidecar that cannot be updated still says "in progress".
        with contextlib.suppress(OSError):
            self._write_sidecar()
