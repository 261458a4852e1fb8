"""What every store has in common: the interface, a file's particulars, valid names, a local file to
produce one in."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import Response

AREAS = ("attachments", "documents", "exports")


@dataclass(frozen=True)
class Stat:
    size: int
    modified: dt.datetime  # aware, UTC
    etag: str


class Area(Protocol):
    """The files of one kind (``attachments``, ``documents``, ``exports``), by name."""

    def put_file(self, name: str, path: Path) -> None:
        """Store the finished local file ``path`` as ``name`` (replacing any earlier one at once)."""

    def put_bytes(self, name: str, data: bytes) -> None: ...

    def read_bytes(self, name: str) -> bytes:
        """The whole file; FileNotFoundError when there is no such file."""

    def stat(self, name: str) -> Stat | None:
        """Size, time and ETag of ``name``; None when there is no such file."""

    def delete(self, name: str) -> None:
        """Remove ``name`` if it is there."""

    def send(self, name: str, *, download_name: str, mimetype: str, as_attachment: bool = True) -> Response:
        """A response with the whole file or the range asked for: Content-Length, ETag, Last-Modified,
        conditional GET (304) and Range (206) as HTTP has them."""


def check_name(name: str) -> str:
    """A plain file name: never a path, a hidden file or anything a folder and a bucket would read differently."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        raise ValueError(f"not a file name: {name!r}")
    return name


@contextmanager
def local_file(folder: Path | None = None, suffix: str = "") -> Iterator[Path]:
    """A temporary local file to produce a file in before ``put_file``; removed afterwards if left."""
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(suffix=suffix, dir=folder, prefix=".partial-")
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
