"""One interface for the files the application keeps: bid attachments, generated documents, exports.

By default they live in folders of the instance (the embedded set-up stays one command); with
``MINITENDR_STORAGE_URL=s3://bucket/prefix`` they go to S3-compatible object storage, so that several
app hosts and workers share them and keep no state of their own.

A file is written whole or not at all: it is produced in a local temporary file and then handed over
(``put_file``: a rename in a folder, one upload to object storage), so a reader never sees half of it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import Flask, Response, current_app, send_file

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

    def read_bytes(self, name: str) -> bytes: ...

    def stat(self, name: str) -> Stat | None:
        """Size, time and ETag of ``name``; None when there is no such file."""

    def delete(self, name: str) -> None:
        """Remove ``name`` if it is there."""

    def send(self, name: str, *, download_name: str, mimetype: str, as_attachment: bool = True) -> Response:
        """A response with the whole file or the range asked for: Content-Length, ETag, Last-Modified,
        conditional GET (304) and Range (206) as HTTP has them."""


class FolderArea:
    """Files in a local folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, name: str) -> Path:
        if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
            raise ValueError(f"not a file name: {name!r}")
        return self.folder / name

    def put_file(self, name: str, path: Path) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self._path(name)
        try:
            os.replace(path, target)
        except OSError:  # another file system: copy beside the target, then rename (still atomic)
            partial = target.with_name(f".{name}.partial")
            shutil.copyfile(path, partial)
            os.replace(partial, target)
            Path(path).unlink(missing_ok=True)

    def put_bytes(self, name: str, data: bytes) -> None:
        with local_file(self.folder) as path:
            path.write_bytes(data)
            self.put_file(name, path)

    def read_bytes(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def stat(self, name: str) -> Stat | None:
        try:
            found = self._path(name).stat()
        except FileNotFoundError:
            return None
        modified = dt.datetime.fromtimestamp(found.st_mtime, dt.UTC)
        return Stat(size=found.st_size, modified=modified, etag=f"{found.st_mtime_ns:x}-{found.st_size:x}")

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def send(self, name: str, *, download_name: str, mimetype: str, as_attachment: bool = True) -> Response:
        return send_file(
            self._path(name),
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,
            conditional=True,
            etag=True,
            max_age=0,
        )


def area(kind: str, app: Flask | None = None) -> Area:
    """The store of one kind of file, as the configuration says."""
    if kind not in AREAS:
        raise ValueError(f"unknown storage area {kind!r}")
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    folders = {
        "attachments": app.config["ATTACHMENTS_DIR"],
        "exports": app.config["EXPORTS_DIR"],
        "documents": app.config["DOCUMENTS_DIR"],
    }
    return FolderArea(Path(folders[kind]))


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
