"""The users' workflow passes actionlint and zizmor with nothing left over.

Both come from requirements-dev.txt as wheels that carry their binaries, and both run offline:
actionlint (the maintained kjanat fork: upstream's PyPI wrapper downloads its binary at build time)
with shellcheck from the same venv over every `run:` script, and zizmor with its strictest
persona. A finding that stays is justified where it is, with an inline `# zizmor: ignore[...]`.
"""

from __future__ import annotations

import re
import subprocess
import sysconfig
from pathlib import Path

import pytest

from ops import harness

WORKFLOWS = harness.ROOT / ".github" / "workflows"
INSTALL_HINT = "pip install -r requirements-dev.txt -c constraints.txt"


def venv_tool(name: str) -> Path:
    path = Path(sysconfig.get_path("scripts")) / name
    assert path.exists(), f"{name} is not installed in this venv: {INSTALL_HINT}"
    return path


def workflow_files() -> list[Path]:
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert files, f"no workflow under {WORKFLOWS}"
    return files


def test_actionlint_finds_nothing():
    done = subprocess.run(
        [
            str(venv_tool("actionlint")),
            "-no-color",
            "-shellcheck", str(venv_tool("shellcheck")),
            "-pyflakes=",  # no Python `run:` scripts; off so the result never depends on PATH
            *map(str, workflow_files()),
        ],
        cwd=harness.ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0 and not done.stdout.strip(), f"actionlint:\n{done.stdout}{done.stderr}"


def test_zizmor_finds_nothing():
    done = subprocess.run(
        [
            str(venv_tool("zizmor")),
            "--offline",  # no network here, and the online audits need a GitHub token anyway
            "--persona", "auditor",
            "--no-progress", "--color", "never",
            str(WORKFLOWS),
        ],
        cwd=harness.ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0 and "No findings" in done.stdout, f"zizmor:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version(path):
    # zizmor checks the commit pin; offline nothing can check that the comment names the release
    # the commit is, so the comment is at least required (Dependabot, where enabled, updates both).
    for number, line in enumerate(path.read_text().splitlines(), 1):
        uses = re.match(r"\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if uses is None or uses.group(1).startswith(("./", "docker://")):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses.group(1)), f"{path.name}:{number}: {line.strip()}"
        assert re.fullmatch(r"\s+# v\d+(\.\d+){0,2}", uses.group(2)), f"{path.name}:{number}: no `# vX.Y.Z` comment"
