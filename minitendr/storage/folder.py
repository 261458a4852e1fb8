"""Files in a local folder: the embedded set-up, and one host alone."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from flask import Response, send_file

from minitendr.storage.base import Stat, check_name, local_file


class FolderArea:
    """Files in a local folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, name: str) -> Path:
        return self.folder / check_name(name)

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
