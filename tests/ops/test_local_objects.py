"""--persist keeps the objects handlers write as they write them (ops/local/objects.py): on disk
before the call returns, deletes too, whole files, and never an older version than S3 holds,
whatever order concurrent writers finish in."""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from moto import mock_aws

from ops.local import objects

BUCKET = "ms-dev-brand-site"


@pytest.fixture
def handler_s3(tmp_path):
    """A handler's S3 client, hooked as a --persist worker hooks it; and the state's s3/ directory."""
    with mock_aws():
        session = boto3.session.Session(region_name="us-west-2")
        objects.Recorder(tmp_path / "s3").install(session.events)
        s3 = session.client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        yield s3, tmp_path / "s3"


def test_an_object_is_on_disk_when_its_put_returns_with_its_meta(handler_s3):
    s3, root = handler_s3
    s3.put_object(Bucket=BUCKET, Key="g/abc.html", Body=b"<p>hi", ContentType="text/html; charset=utf-8",
                  CacheControl="public, max-age=60")
    assert (root / BUCKET / "g" / "abc.html").read_bytes() == b"<p>hi"
    meta = json.loads((root / BUCKET / "g" / "abc.html.meta").read_text())
    assert meta == {"ContentType": "text/html; charset=utf-8", "CacheControl": "public, max-age=60"}
    s3.copy_object(Bucket=BUCKET, Key="backups/abc.html", CopySource={"Bucket": BUCKET, "Key": "g/abc.html"})
    assert (root / BUCKET / "backups" / "abc.html").read_bytes() == b"<p>hi"
    assert not list((root / ".tmp").iterdir())  # written whole, then renamed


def test_deletes_are_kept_too(handler_s3):
    s3, root = handler_s3
    for key in ("g/a.html", "g/b.html", "g/c.html"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    s3.delete_object(Bucket=BUCKET, Key="g/a.html")
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "g/b.html"}, {"Key": "g/never.html"}]})
    assert sorted(key for _, key, _ in objects.kept(root)) == ["g/c.html"]
    assert not (root / BUCKET / "g" / "a.html.meta").exists()


def test_a_key_that_is_no_path_is_left_in_s3_only(handler_s3, capfd):
    s3, root = handler_s3
    s3.put_object(Bucket=BUCKET, Key="a/../../escape", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="folder/", Body=b"")
    assert list(objects.kept(root)) == [] and not (root.parent / "escape").exists()
    assert "cannot be kept on disk" in capfd.readouterr().err


def test_concurrent_writers_leave_what_s3_holds_last(handler_s3):
    s3, root = handler_s3
    done = threading.Barrier(8)

    def write(n: int) -> None:
        done.wait()
        for i in range(15):
            for _ in range(3):
                try:
                    s3.put_object(Bucket=BUCKET, Key="g/same.html", Body=f"{n}-{i}".encode())
                    break
                except ValueError:  # in-process moto's S3 may read a key's buffer another put just closed
                    continue

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (root / BUCKET / "g" / "same.html").read_bytes() == s3.get_object(Bucket=BUCKET, Key="g/same.html")["Body"].read()


def test_restore_and_save_all_round_trip_without_declared_objects(handler_s3):
    s3, root = handler_s3
    s3.put_object(Bucket=BUCKET, Key="g/kept.html", Body=b"kept", ContentType="text/html")
    (root / "other-bucket").mkdir()
    (root / "other-bucket" / "x").write_bytes(b"a bucket the program no longer declares")
    (root / ".tmp" / "123-half").write_bytes(b"half")
    # A new run: the emulated S3 holds only what the program declares. Its own client, not a worker's.
    fresh = boto3.client("s3", region_name="us-west-2")
    fresh.delete_object(Bucket=BUCKET, Key="g/kept.html")
    fresh.put_object(Bucket=BUCKET, Key="index.html", Body=b"the program's page")
    objects.restore(fresh, root, [BUCKET], skip={(BUCKET, "index.html")})
    found = fresh.get_object(Bucket=BUCKET, Key="g/kept.html")
    assert found["Body"].read() == b"kept" and found["ContentType"] == "text/html"
    assert not (root / ".tmp").exists()
    # Written without a worker: kept at the clean stop; the program's own page is not.
    fresh.put_object(Bucket=BUCKET, Key="g/by-hand.html", Body=b"by hand")
    fresh.delete_object(Bucket=BUCKET, Key="g/kept.html")
    objects.save_all(fresh, root, [BUCKET], skip={(BUCKET, "index.html")})
    assert sorted((b, k) for b, k, _ in objects.kept(root)) == [(BUCKET, "g/by-hand.html"), ("other-bucket", "x")]


def test_an_unchanged_object_is_not_written_again(handler_s3):
    s3, root = handler_s3
    s3.put_object(Bucket=BUCKET, Key="g/p.html", Body=b"same", ContentType="text/html")
    inode = (root / BUCKET / "g" / "p.html").stat().st_ino
    s3.put_object(Bucket=BUCKET, Key="g/p.html", Body=b"same", ContentType="text/html")
    objects.save_all(s3, root, [BUCKET], skip=set())
    assert (root / BUCKET / "g" / "p.html").stat().st_ino == inode
