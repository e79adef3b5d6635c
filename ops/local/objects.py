"""Objects handlers write to S3, kept on disk in a --persist run (guest pages, backups).

Layout under the state directory: `s3/<bucket>/<key>`, the object's bytes, and next to it
`<key>.meta`, the JSON of the put_object arguments that describe it (content type, cache control,
...). `s3/.lock` orders every writer; `s3/.tmp/` holds files being written.

An object is on disk as soon as the call that wrote it has returned: each worker hooks its botocore
session (see `Recorder`) and, after every S3 call that changes an object, copies the object's
current state (or its absence) from the emulated S3 to disk before the call returns to the handler.
The copy reads S3 and writes the file under one lock shared by every process, so whatever order
concurrent writers finish in, the last copy made reads what S3 holds last: the disk never keeps an
older version than S3. Files are written whole (a temporary file, then a rename).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

# The put_object arguments kept with an object.
META = ("ContentType", "CacheControl", "ContentEncoding", "ContentDisposition", "ContentLanguage", "Metadata")
# S3 calls that change objects: the keys each changes, from its parameters.
WRITES = {
    "PutObject": lambda p: [p.get("Key")],
    "CopyObject": lambda p: [p.get("Key")],
    "CompleteMultipartUpload": lambda p: [p.get("Key")],
    "DeleteObject": lambda p: [p.get("Key")],
    "DeleteObjects": lambda p: [o.get("Key") for o in p.get("Delete", {}).get("Objects", [])],
}


def path_of(root: Path, bucket: str, key: str) -> Optional[Path]:
    """Where the object is kept, or None for a key that is not a safe relative path (`a/../b`,
    `a//b`, `dir/`) or would be read as a meta file."""
    parts = key.split("/")
    if not bucket or bucket.startswith(".") or "/" in bucket or any(p in ("", ".", "..") for p in parts) \
            or key.endswith(".meta") or "\0" in key:
        return None
    return root.joinpath(bucket, *parts)


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """Every writer's lock, across processes and threads (an open file description of its own each time)."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _write(root: Path, target: Path, data: bytes) -> None:
    partial = root / ".tmp" / f"{os.getpid()}-{uuid.uuid4().hex}"
    partial.parent.mkdir(parents=True, exist_ok=True)
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, target)


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _meta_path(target: Path) -> Path:
    return target.with_name(target.name + ".meta")


def _copy(s3, root: Path, bucket: str, key: str) -> None:
    """Disk takes S3's current state of one object. Call under `locked`."""
    target = path_of(root, bucket, key)
    if target is None:
        print(f"local mode: the object s3://{bucket}/{key} cannot be kept on disk (its key is not a plain path)",
              file=sys.stderr, flush=True)
        return
    try:
        found = s3.get_object(Bucket=bucket, Key=key)
    except s3.exceptions.NoSuchKey:
        found = None
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NoSuchBucket"):
            raise
        found = None
    if found is None:
        target.unlink(missing_ok=True)
        _meta_path(target).unlink(missing_ok=True)
        return
    body = found["Body"].read()
    meta = json.dumps({k: found[k] for k in META if found.get(k)}).encode()
    if target.is_dir():  # an object `a` beside objects `a/...`: S3 holds both, a directory cannot
        print(f"local mode: the object s3://{bucket}/{key} cannot be kept on disk (objects are kept under it)",
              file=sys.stderr, flush=True)
        return
    if _holds(_meta_path(target), meta) and _holds(target, body):
        return  # already kept: a file is written only when its object changed
    # The meta first: a crash between the two renames leaves the old body, never a body without its meta.
    _write(root, _meta_path(target), meta)
    _write(root, target, body)


def copy(s3, root: Path, bucket: str, keys: Iterable[str]) -> None:
    with locked(root):
        for key in keys:
            _copy(s3, root, bucket, key)


def kept(root: Path) -> Iterator[tuple[str, str, Path]]:
    """(bucket, key, file) of every object on disk."""
    for path in sorted(root.rglob("*")) if root.exists() else []:
        relative = path.relative_to(root).parts
        if relative[0].startswith(".") or not path.is_file() or path.name.endswith(".meta"):
            continue
        yield relative[0], "/".join(relative[1:]), path


def restore(s3, root: Path, buckets: Iterable[str], skip: set[tuple[str, str]]) -> None:
    """Put back the objects kept on disk in `buckets` (those the program still declares), but those
    in `skip` (objects the program itself declares)."""
    buckets = set(buckets)
    shutil.rmtree(root / ".tmp", ignore_errors=True)  # what a crash left half written
    for bucket, key, path in kept(root):
        if bucket not in buckets or (bucket, key) in skip:
            continue
        meta_file = _meta_path(path)
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **meta)


def save_all(s3, root: Path, buckets: Iterable[str], skip: set[tuple[str, str]]) -> None:
    """Disk takes S3's state of every object of `buckets` but those in `skip`: for objects written
    other than through a worker (a developer's `aws s3 cp` to the endpoint), or by a worker stopped
    between S3's answer and its copy."""
    buckets = list(buckets)
    keys: set[tuple[str, str]] = {(b, k) for b, k, _ in kept(root) if b in buckets}
    for bucket in buckets:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys |= {(bucket, item["Key"]) for item in page.get("Contents", [])}
    with locked(root):
        for bucket, key in sorted(keys - skip):
            _copy(s3, root, bucket, key)


class Recorder:
    """In a worker: after each S3 call of the handler that may have changed objects, their state is
    copied to `root` before the call returns to the handler. (A call that got no answer at all is
    left to `save_all` at the next clean stop.)"""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._s3: Any = None

    def install(self, events) -> None:
        for operation in WRITES:
            events.register(f"before-parameter-build.s3.{operation}", self._remember)
            events.register(f"after-call.s3.{operation}", self._after)

    @staticmethod
    def _remember(params: dict, model, context: dict, **_) -> None:
        context["mainstreet_local_objects"] = (params.get("Bucket"), [k for k in WRITES[model.name](params) if k])

    def _after(self, context: dict, **_) -> None:
        # Whatever S3 answered (a refused or half-done DeleteObjects too), disk takes what S3 now holds.
        bucket, keys = context.pop("mainstreet_local_objects", (None, []))
        if bucket and keys:
            copy(self.client(), self.root, bucket, keys)

    def client(self):
        if self._s3 is None:  # a session of its own, whose calls are not recorded; made at the first write
            import boto3

            self._s3 = boto3.session.Session().client("s3")
        return self._s3
