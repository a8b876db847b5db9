"""Recording a streamed response body as it arrives, for ``replay()`` later.

The body is written byte for byte to the path given; a sidecar ``<path>.json`` says what it
is (provider, model, status, content type, request id, when, how it ended). No request or
response header goes into it: the ones that matter here carry no secret, and the rest might.

What a recording guarantees:

- Its two files are opened before the request is sent, so a destination that cannot be
  written (a missing folder, a name too long, a folder where the sidecar goes) is a
  ``ConfigurationError`` and nothing was sent.
- Neither file is ever opened through a symbolic link, and only a regular file is written.
  Under ``record_dir=`` each stream gets names of its own (a random part beside the time and
  the process), created exclusively: several clients and processes can record into one
  folder, and nothing planted at a name is written through.
- ``record_to=`` names one file: an existing regular file there is replaced when the response
  starts (left as it was if the request fails), as ``open(path, "wb")`` would.
- A write that fails mid-stream (a full disk) ends the recording, not the stream: a
  ``RecordingWarning`` says so, the sidecar says where it stopped, and the stream goes on.
  Closing never raises.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import secrets
import stat
import time
import warnings
from typing import Any

from .errors import ConfigurationError, RecordingWarning

__all__ = ["MAX_SIDECAR_SIZE", "Recorder", "read_sidecar", "sidecar_path"]

MAX_SIDECAR_SIZE = 1024 * 1024
_OPEN_FLAGS = (
    os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    # A FIFO would block the open until someone reads it; it is refused just after.
    | getattr(os, "O_NONBLOCK", 0)
)


def sidecar_path(path: str | os.PathLike[str]) -> str:
    return os.fspath(path) + ".json"


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The sidecar of a recording, if there is one.

    Raises ``ConfigurationError`` for a sidecar that is there but is not a regular file of at
    most ``MAX_SIDECAR_SIZE`` bytes holding a JSON object.
    """
    from ._replay import read_regular_file

    name = sidecar_path(path)
    if not os.path.lexists(name):
        return None
    data = read_regular_file(name, MAX_SIDECAR_SIZE, what="sidecar")
    try:
        parsed = json.loads(data)
    except ValueError:
        raise ConfigurationError(f"the sidecar {name!r} is not JSON") from None
    if not isinstance(parsed, dict):
        raise ConfigurationError(f"the sidecar {name!r} is not a JSON object")
    return parsed


def _why(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link (recordings never follow one)"
    if exc.errno == errno.ENXIO:
        return "it is not a regular file"
    return exc.strerror or str(exc)


def _open(path: str, *, exclusive: bool) -> tuple[int, bool]:
    """A descriptor for ``path``, opened for writing without following a link, and whether
    this call created the file."""
    try:
        return os.open(path, _OPEN_FLAGS | os.O_EXCL, 0o644), True
    except FileExistsError:
        if exclusive:
            raise
    fd = os.open(path, _OPEN_FLAGS, 0o644)
    return fd, False


class Recorder:
    """Tees one response body to a file; the sidecar is written at the start and the end."""

    __slots__ = ("_body", "_created", "_info", "_path", "_sidecar", "bytes")

    def __init__(self, path: str | os.PathLike[str], *, exclusive: bool = False) -> None:
        """Open both files (``exclusive``: both must be new). Raises ``FileExistsError`` for a
        name taken under ``exclusive``, ``ConfigurationError`` for anything else."""
        self._path = os.fspath(path)
        self._body = self._sidecar = -1
        self._created: list[str] = []
        self._info: dict[str, Any] = {}
        self.bytes = 0
        try:
            for name in (self._path, sidecar_path(self._path)):
                fd, created = _open(name, exclusive=exclusive)
                if created:
                    self._created.append(name)
                if self._body < 0:
                    self._body = fd
                else:
                    self._sidecar = fd
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise OSError(errno.ENXIO, "not a regular file")
        except OSError as exc:
            self._discard()
            if isinstance(exc, FileExistsError) and exclusive:
                raise
            raise ConfigurationError(
                f"cannot record to {self._path!r}: {_why(exc)}"
            ) from None

    @classmethod
    def in_folder(cls, folder: str, provider: str, suffix: str) -> Recorder:
        """A recording under a fresh name of its own in ``folder``."""
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for _ in range(8):
            name = f"{stamp}-{provider}-{os.getpid()}-{secrets.token_hex(6)}{suffix}"
            try:
                return cls(os.path.join(folder, name), exclusive=True)
            except FileExistsError:
                continue
        raise ConfigurationError(f"cannot record into {folder!r}: no free name was found")

    @property
    def path(self) -> str:
        return self._path

    def start(self, info: dict[str, Any]) -> None:
        """The response started: clear what was there before and say what this is."""
        self._info = {
            **info,
            "recorded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "outcome": "in progress",
        }
        try:
            os.ftruncate(self._body, 0)
            self._write_sidecar()
        except OSError as exc:
            self._give_up(exc)

    def _write_sidecar(self) -> None:
        text = (json.dumps(self._info, indent=2) + "\n").encode()
        os.ftruncate(self._sidecar, 0)
        os.lseek(self._sidecar, 0, os.SEEK_SET)
        _write_all(self._sidecar, text)

    def write(self, data: bytes) -> None:
        if self._body < 0:
            return
        try:
            _write_all(self._body, data)
        except OSError as exc:
            self._give_up(exc)
            return
        self.bytes += len(data)

    def _give_up(self, exc: OSError) -> None:
        """A write failed: end the recording (the stream goes on) and say so."""
        message = (
            f"recording to {self._path!r} stopped after {self.bytes:,} bytes: "
            f"{exc.strerror or exc}; the stream goes on unrecorded"
        )
        try:
            warnings.warn(message, RecordingWarning, stacklevel=2)
        except Warning:
            # Warnings made errors (-W error) must not break the stream this one spares.
            from ._config import log

            log().warning("%s", message)
        self.close(f"recording failed after {self.bytes} bytes: {exc.strerror or exc}")

    def close(self, outcome: str) -> None:
        """Finish the recording; ``outcome`` is "complete", "closed early" or the error.
        Never raises."""
        if self._body < 0:
            return
        if self._info:
            self._info["outcome"] = outcome
            self._info["bytes"] = self.bytes
            # The body is saved; a sidecar that cannot be updated still says "in progress".
            with contextlib.suppress(OSError):
                self._write_sidecar()
        self._close_files()

    def abandon(self) -> None:
        """The request failed before a response: remove the files this recording created
        (a file that was there before is left as it was). Never raises."""
        self._discard()

    def _discard(self) -> None:
        self._close_files()
        for name in self._created:
            with contextlib.suppress(OSError):
                os.unlink(name)
        self._created = []

    def _close_files(self) -> None:
        for fd in (self._body, self._sidecar):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._body = self._sidecar = -1


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
