"""Code artifacts: a function's zip (its handler package and the shared package) and the stack's
libraries layer (the pure-Python libraries functions import). boto3 comes with the Lambda runtime
and Powertools (with pydantic) with the official layer, so neither is ever packaged."""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path
from typing import Iterator, Sequence

import pulumi

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ROOT / "handlers"
# The sites' 404 page, which staff-session answers for missing pages (handlers/shared/session.py):
# packaged at the same path relative to the code as in the repository, so one file serves both.
NOT_FOUND_PAGE = "site/_shared/404.html"
SKIP_DIRS = {"__pycache__"}
# Bytecode and the host's compiled extensions would not load on arm64 (the libraries we ship, like
# Jinja2's MarkupSafe, fall back to pure Python); type stubs are never imported at run time.
SKIP_SUFFIXES = {".pyc", ".so", ".pyd", ".dylib", ".pyi"}
# Where Lambda puts a layer's Python packages on sys.path (/opt/python).
LAYER_PYTHON = "python"


def _files(directory: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory)
        if path.is_dir() or SKIP_DIRS & set(rel.parts) or path.suffix in SKIP_SUFFIXES:
            continue
        yield f"{prefix}/{rel.as_posix()}", path


def _library_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"cannot package {name!r}: it is not an installed package")
    return Path(next(iter(spec.submodule_search_locations)))


def artifact_files(package: str) -> dict[str, Path]:
    """Archive path → source file for handlers of `handlers/<package>/`. Libraries are not in it:
    they come from the libraries layer (`layer_files`)."""
    files: dict[str, Path] = {"handlers/__init__.py": HANDLERS / "__init__.py", NOT_FOUND_PAGE: ROOT / NOT_FOUND_PAGE}
    for part in ("shared", package):
        files.update(_files(HANDLERS / part, f"handlers/{part}"))
    return files


def code_archive(package: str) -> pulumi.AssetArchive:
    return _archive(artifact_files(package))


def layer_files(libraries: Sequence[str]) -> dict[str, Path]:
    """Archive path → source file for a layer holding `libraries` as `python/<library>/...`,
    copied from this environment (so at the versions pinned in requirements.txt)."""
    files: dict[str, Path] = {}
    for library in libraries:
        files.update(_files(_library_dir(library), f"{LAYER_PYTHON}/{library}"))
    return files


def layer_archive(libraries: Sequence[str]) -> pulumi.AssetArchive:
    return _archive(layer_files(libraries))


def _archive(files: dict[str, Path]) -> pulumi.AssetArchive:
    return pulumi.AssetArchive({name: pulumi.FileAsset(str(path)) for name, path in files.items()})


def zipped_size(files: dict[str, Path]) -> int:
    """Bytes of the deflated zip Lambda would receive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(files.items()):
            archive.write(path, name)
    return buffer.tell()
