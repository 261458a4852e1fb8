"""Files in S3-compatible object storage (AWS S3, MinIO, Ceph …): one bucket that every app host and
worker shares. Credentials come the usual boto3 way (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a
profile, an instance role)."""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import Response, request

from minitendr.storage.base import Stat, check_name

CHUNK = 256 * 1024


@functools.cache
def client(endpoint_url: str | None) -> Any:
    """One client per process and endpoint: boto3 clients are thread-safe and slow to make."""
    # Stores other than AWS (an endpoint of their own) are addressed by path, not by a host name per bucket.
    config = Config(s3={"addressing_style": "path" if endpoint_url else "auto"}, retries={"mode": "standard"})
    # A session of its own: boto3's default session is not safe to make clients from in several threads.
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _missing(error: ClientError) -> bool:
    return _code(error) in {"404", "NoSuchKey", "NotFound"}


def _filename(download_name: str) -> dict[str, str]:
    """Content-Disposition's name as Flask's send_file writes it: ASCII, plus RFC 6266 ``filename*`` if needed."""
    if download_name.isascii():
        return {"filename": download_name}
    simple = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode("ascii")
    return {"filename": simple, "filename*": "UTF-8''" + quote(download_name, safe="!#$&+-.^_`|~")}


class S3Area:
    """The objects under ``<prefix>/`` in ``bucket`` (the prefix ends with the area's name)."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.s3 = client(endpoint_url)

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{check_name(name)}"

    def put_file(self, name: str, path: Path) -> None:
        # One upload (in parts above 8 MB, completed in one step): a reader gets the old object or the new.
        self.s3.upload_file(str(path), self.bucket, self._key(name))
        Path(path).unlink(missing_ok=True)  # handed over, as a rename into a folder does

    def put_bytes(self, name: str, data: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)

    def read_bytes(self, name: str) -> bytes:
        return self._get(name)["Body"].read()

    def stat(self, name: str) -> Stat | None:
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as error:
            if _missing(error):
                return None
            raise
        modified = head["LastModified"].astimezone(dt.UTC)
        return Stat(size=head["ContentLength"], modified=modified, etag=head["ETag"].strip('"'))

    def delete(self, name: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=self._key(name))

    def send(self, name: str, *, download_name: str, mimetype: str, as_attachment: bool = True) -> Response:
        """What Flask's send_file answers for a local file, with the body streamed from a ranged GET of
        the object: only the bytes asked for leave the store, and never all of them sit in memory."""
        found = self.stat(name)
        if found is None:
            raise FileNotFoundError(name)
        response = Response(mimetype=mimetype, direct_passthrough=True)
        response.headers.set(
            "Content-Disposition", "attachment" if as_attachment else "inline", **_filename(download_name)
        )
        response.content_length = found.size
        response.last_modified = found.modified
        response.set_etag(found.etag)
        response.cache_control.no_cache = True
        response.cache_control.max_age = 0
        # Decides 200, 206 (setting Content-Range and Content-Length), 304, 412 or 416 from the request.
        response.make_conditional(request, accept_ranges=True, complete_length=found.size)
        if request.method != "GET" or response.status_code not in (200, 206) or not found.size:
            return response
        first, stop = 0, found.size
        asked = response.content_range
        if response.status_code == 206 and asked.start is not None and asked.stop is not None:
            first, stop = asked.start, asked.stop
        try:
            # If-Match: the bytes come from the very object whose headers were just written.
            body = self._get(name, Range=f"bytes={first}-{stop - 1}", IfMatch=f'"{found.etag}"')["Body"]
        except ClientError as error:
            if _code(error) == "PreconditionFailed":  # replaced in between: answer for the new one
                return self.send(name, download_name=download_name, mimetype=mimetype, as_attachment=as_attachment)
            raise
        response.response = body.iter_chunks(CHUNK)
        response.call_on_close(body.close)
        return response

    def _get(self, name: str, **options: str) -> dict:
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=self._key(name), **options)
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(name) from error
            raise
