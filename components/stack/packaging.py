"""A function's code artifact: its handler package, the shared package, and the few pure-Python
libraries it bundles. boto3 comes with the Lambda runtime and Powertools (with pydantic) with the
official layer, so neither is ever bundled."""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path
from typing import Iterator, Sequence

import pulumi

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ROOT / "handlers"
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".so", ".pyd", ".dylib"}


def _files(directory: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory)
        if path.is_dir() or SKIP_DIRS & set(rel.parts) or path.suffix in SKIP_SUFFIXES:
            continue
        yield f"{prefix}/{rel.as_posix()}", path


def _library_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"cannot bundle {name!r}: it is not an installed package")
    return Path(next(iter(spec.submodule_search_locations)))


def artifact_files(package: str, bundle: Sequence[str] = ()) -> dict[str, Path]:
    """Archive path → source file for handlers of `handlers/<package>/`.

    Compiled extensions of bundled libraries are left out: the ones we bundle (Jinja2's
    MarkupSafe) fall back to pure Python, and the host's binaries would not load on arm64.
    """
    files: dict[str, Path] = {"handlers/__init__.py": HANDLERS / "__init__.py"}
    for part in ("shared", package):
        files.update(_files(HANDLERS / part, f"handlers/{part}"))
    for library in bundle:
        files.update(_files(_library_dir(library), library))
    return files


def code_archive(package: str, bundle: Sequence[str] = ()) -> pulumi.AssetArchive:
    return pulumi.AssetArchive(
        {name: pulumi.FileAsset(str(path)) for name, path in artifact_files(package, bundle).items()}
    )


def zipped_size(files: dict[str, Path]) -> int:
    """Bytes of the deflated zip Lambda would receive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(files.items()):
            archive.write(path, name)
    return buffer.tell()
