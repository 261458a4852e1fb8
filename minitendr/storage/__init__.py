"""One interface for the files the application keeps: bid attachments, generated documents, exports.

By default they live in folders of the instance (the embedded set-up stays one command); with
``MINITENDR_STORAGE_URL=s3://bucket/prefix`` they go to S3-compatible object storage under the keys
``<prefix>/<area>/<name>``, so that several app hosts and workers share them and keep no state of their own.

A file is written whole or not at all: it is produced in a local temporary file and then handed over
(``put_file``: a rename in a folder, one upload to object storage), so a reader never sees half of it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app

from minitendr.storage.base import AREAS, Area, Stat, check_name, local_file
from minitendr.storage.folder import FolderArea

__all__ = ["AREAS", "Area", "FolderArea", "Stat", "area", "check_name", "local_file", "parse_url"]

FOLDERS = {"attachments": "ATTACHMENTS_DIR", "documents": "DOCUMENTS_DIR", "exports": "EXPORTS_DIR"}


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix without slashes at its ends); ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"not an s3://bucket/prefix address: {url!r}")
    return parts.netloc, parts.path.strip("/")


def area(kind: str, app: Flask | None = None) -> Area:
    """The store of one kind of file, as the configuration says."""
    if kind not in AREAS:
        raise ValueError(f"unknown storage area {kind!r}")
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("STORAGE_URL"):
        return FolderArea(Path(app.config[FOLDERS[kind]]))
    from minitendr.storage.s3 import S3Area  # boto3 is needed only by the hosts that use it

    bucket, prefix = parse_url(app.config["STORAGE_URL"])
    return S3Area(bucket, f"{prefix}/{kind}" if prefix else kind, endpoint_url=app.config.get("S3_ENDPOINT_URL"))
