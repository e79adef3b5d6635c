"""A site's pages: the files under `site/<name>/` (and `site/_shared/` at /shared/), published to
its bucket with their SHA-256, which `ops deploy` compares to invalidate only what changed."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

import pulumi
import pulumi_aws as aws

ROOT = Path(__file__).resolve().parents[3]
PAGES = ROOT / "site"
SHARED_PAGES = "_shared"  # site/_shared/ is published at /shared/ on every site
TEXT_TYPES = {".html", ".css", ".js", ".json", ".txt", ".svg", ".xml", ".webmanifest"}
EXTRA_TYPES = {".js": "text/javascript", ".webmanifest": "application/manifest+json", ".json": "application/json"}


def content_type(path: str) -> str:
    suffix = Path(path).suffix
    kind = EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if suffix in TEXT_TYPES else kind


def cache_control(path: str) -> str:
    # Browsers re-check within a minute; CloudFront keeps a day and `ops deploy` invalidates.
    return "public, max-age=60, s-maxage=86400"


def page_files(name: str) -> dict[str, Path]:
    """Object key → file for a site's pages, the shared assets included."""
    files = {}
    for root, prefix in ((PAGES / name, ""), (PAGES / SHARED_PAGES, "shared/")):
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    files[prefix + path.relative_to(root).as_posix()] = path
    return files


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def publish(site: str, bucket_id: pulumi.Input[str], parent: pulumi.Resource) -> dict[str, str]:
    """Upload every page of `site`; returns the manifest (object key → SHA-256)."""
    manifest = {}
    for key, path in page_files(site).items():
        digest = sha256(path)
        manifest[key] = digest
        aws.s3.BucketObjectv2(
            f"{site}/{key}",
            bucket=bucket_id,
            key=key,
            source=pulumi.FileAsset(str(path)),
            content_type=content_type(key),
            cache_control=cache_control(key),
            metadata={"sha256": digest},
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return manifest
