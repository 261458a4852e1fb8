"""The file store: the same files and the same HTTP answers from a local folder and from S3 (moto's
server), so that a download behaves alike on one host and on many."""

from __future__ import annotations

import datetime as dt
import os

import boto3
import pytest
from flask import Flask
from werkzeug.http import http_date

from minitendr import create_app, storage
from minitendr.config import ConfigurationError
from minitendr.storage.s3 import S3Area
from tests.conftest import S3_BUCKET, config_for_tests

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT = bytes(range(256)) * 40  # 10 240 bytes, every position recognisable


def web(area: storage.Area) -> Flask:
    """A bare application serving the area's files at /<name>, as the download views do."""
    served = Flask(__name__)
    served.add_url_rule(
        "/<name>", view_func=lambda name: area.send(name, download_name="výkaz čerpání.xlsx", mimetype=XLSX)
    )
    return served


@pytest.fixture
def exports(app: Flask, store: str) -> storage.Area:
    area = storage.area("exports", app)
    area.put_bytes("report.xlsx", CONTENT)
    return area


# --- the files -----------------------------------------------------------------------------------
def test_a_stored_file_is_read_back_and_described(exports):
    found = exports.stat("report.xlsx")
    assert exports.read_bytes("report.xlsx") == CONTENT and found.size == len(CONTENT)
    assert abs(found.modified - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1) and found.etag
    exports.put_bytes("report.xlsx", b"another version")
    assert exports.read_bytes("report.xlsx") == b"another version"
    assert exports.stat("report.xlsx").etag != found.etag


def test_a_finished_local_file_is_handed_over_whole(exports):
    with storage.local_file(suffix=".xlsx") as path:
        path.write_bytes(b"the finished workbook")
        exports.put_file("report.xlsx", path)
        assert not path.exists()  # moved into the store, nothing left behind on this host
    assert exports.read_bytes("report.xlsx") == b"the finished workbook"


def test_a_missing_file_is_missing_alike_everywhere(exports):
    exports.delete("report.xlsx")
    exports.delete("report.xlsx")  # deleting what is not there is no error
    assert exports.stat("report.xlsx") is None
    with pytest.raises(FileNotFoundError):
        exports.read_bytes("report.xlsx")
    with pytest.raises(FileNotFoundError):
        exports.send("report.xlsx", download_name="x.xlsx", mimetype=XLSX)


@pytest.mark.parametrize("name", ["../report.xlsx", "a/b", ".hidden", "a\\b", "", "a\0b"])
def test_a_name_is_never_a_path(exports, name):
    with pytest.raises(ValueError, match="not a file name"):
        exports.put_bytes(name, b"x")


# --- the downloads -------------------------------------------------------------------------------
def test_a_download_carries_its_length_name_and_validators(exports):
    response = web(exports).test_client().get("/report.xlsx")
    assert response.status_code == 200 and response.data == CONTENT
    assert response.headers["Content-Length"] == str(len(CONTENT)) and response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"vykaz cerpani.xlsx\"; filename*=UTF-8''v%C3%BDkaz%20%C4%8Derp%C3%A1n%C3%AD.xlsx"
    )
    assert response.headers["Accept-Ranges"] == "bytes" and "no-cache" in response.headers["Cache-Control"]
    assert response.headers["ETag"] and response.last_modified <= dt.datetime.now(dt.UTC)


def test_a_browser_that_has_the_file_is_told_so(exports):
    client = web(exports).test_client()
    first = client.get("/report.xlsx")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get("/report.xlsx", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/report.xlsx", headers={"If-Modified-Since": modified}).status_code == 304
    stale = client.get("/report.xlsx", headers={"If-None-Match": '"an-older-version"'})
    assert stale.status_code == 200 and stale.data == CONTENT
    earlier = http_date(first.last_modified - dt.timedelta(days=1))
    assert client.get("/report.xlsx", headers={"If-Modified-Since": earlier}).status_code == 200


@pytest.mark.parametrize(
    ("asked", "first", "last"),
    [("bytes=100-199", 100, 199), ("bytes=-10", 10230, 10239), ("bytes=10000-", 10000, 10239), ("bytes=0-0", 0, 0)],
)
def test_a_range_is_answered_with_exactly_those_bytes(exports, asked, first, last):
    response = web(exports).test_client().get("/report.xlsx", headers={"Range": asked})
    assert response.status_code == 206 and response.data == CONTENT[first : last + 1]
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(CONTENT)}"
    assert response.headers["Content-Length"] == str(last - first + 1)


def test_a_resumed_download_gets_the_rest_only_of_the_same_version(exports):
    client = web(exports).test_client()
    etag = client.get("/report.xlsx").headers["ETag"]
    rest = client.get("/report.xlsx", headers={"Range": "bytes=5000-", "If-Range": etag})
    assert rest.status_code == 206 and rest.data == CONTENT[5000:]
    changed = client.get("/report.xlsx", headers={"Range": "bytes=5000-", "If-Range": '"an-older-version"'})
    assert changed.status_code == 200 and changed.data == CONTENT  # the whole new version instead
    beyond = client.get("/report.xlsx", headers={"Range": "bytes=20000-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(CONTENT)}"


def test_head_says_the_length_without_a_body(exports):
    response = web(exports).test_client().head("/report.xlsx")
    assert response.status_code == 200 and response.data == b""
    assert response.headers["Content-Length"] == str(len(CONTENT))


REQUESTS = [
    {},
    {"Range": "bytes=100-199"},
    {"Range": "bytes=-10"},
    {"Range": "bytes=20000-"},
    {"Range": "bytes=1-2,5-6"},
    {"If-Range": '"old"', "Range": "bytes=0-9"},
    {"If-None-Match": '"old"'},
    {"If-None-Match": "*"},
]


def test_the_folder_and_s3_answer_every_request_alike(app, monkeypatch, s3_endpoint):
    def answers() -> list[tuple]:
        area = storage.area("exports", app)
        area.put_bytes("report.xlsx", CONTENT)
        client = web(area).test_client()
        found = []
        for headers in REQUESTS:
            response = client.get("/report.xlsx", headers=headers)
            compared = ("Content-Length", "Content-Range", "Content-Disposition", "Accept-Ranges", "Cache-Control")
            found.append((response.status_code, response.data, *(response.headers.get(h) for h in compared)))
        return found

    from_folder = answers()
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{S3_BUCKET}/alike")
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_endpoint)
    assert answers() == from_folder


# --- S3 in particular ----------------------------------------------------------------------------
def test_objects_are_kept_under_prefix_area_and_name(app, monkeypatch, s3_endpoint):
    bucket = boto3.client("s3", endpoint_url=s3_endpoint)
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{S3_BUCKET}/cluster/one/")
    storage.area("attachments", app).put_bytes("a1b2", b"sealed")
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{S3_BUCKET}")
    storage.area("exports", app).put_bytes("job.xlsx", b"workbook")
    keys = {item["Key"] for item in bucket.list_objects_v2(Bucket=S3_BUCKET)["Contents"]}
    assert {"cluster/one/attachments/a1b2", "exports/job.xlsx"} <= keys


def test_a_large_object_is_streamed_from_the_store_not_read_whole(app, monkeypatch, s3_endpoint, tmp_path):
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{S3_BUCKET}/large")
    area = storage.area("exports", app)
    large = os.urandom(9 * 1024 * 1024)  # above boto3's 8 MB: uploaded in parts, with a multipart ETag
    (tmp_path / "big.xlsx").write_bytes(large)
    area.put_file("big.xlsx", tmp_path / "big.xlsx")
    assert "-" in area.stat("big.xlsx").etag
    with app.test_request_context(headers={"Range": "bytes=8388600-8388615"}):
        response = area.send("big.xlsx", download_name="big.xlsx", mimetype=XLSX)
        assert response.status_code == 206 and response.is_streamed
        assert b"".join(response.response) == large[8388600:8388616]
        response.close()
    client = web(area).test_client()
    assert client.get("/big.xlsx").data == large


def test_storage_goes_to_s3_only_when_an_s3_address_is_set(app, monkeypatch):
    assert isinstance(storage.area("documents", app), storage.FolderArea)
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{S3_BUCKET}/p")
    assert isinstance(storage.area("documents", app), S3Area)
    with pytest.raises(ValueError, match="unknown storage area"):
        storage.area("backups", app)


@pytest.mark.parametrize("url", ["https://s3.example.com/bucket", "s3:///prefix", "/srv/files", "s3://b/p?x=1"])
def test_an_address_that_is_not_s3_stops_the_start(url):
    with pytest.raises(ConfigurationError, match="MINITENDR_STORAGE_URL"):
        create_app(config_for_tests("sqlite://") | {"STORAGE_URL": url})


def test_an_object_replaced_while_it_is_sent_goes_out_whole_in_its_new_version(app, monkeypatch, s3_endpoint):
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{S3_BUCKET}/replaced")
    area = storage.area("exports", app)
    area.put_bytes("report.xlsx", CONTENT)
    old = area.stat("report.xlsx")
    area.put_bytes("report.xlsx", b"the new version")
    looked_up = iter([old])  # the first look finds the old object's particulars, the next the new one's
    monkeypatch.setattr(area, "stat", lambda name: next(looked_up, None) or S3Area.stat(area, name))
    response = web(area).test_client().get("/report.xlsx")
    assert response.data == b"the new version" and response.headers["Content-Length"] == "15"
