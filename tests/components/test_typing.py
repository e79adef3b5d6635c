"""Typing: pyright (as basedpyright, whose wheel carries pyright and node, so it runs offline) over
`__main__.py` and `components/` with pulumi-aws's own typings, at pyright's standard strictness
(pyrightconfig.json at the repository root; `.venv/bin/basedpyright` shows the same report)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

def pyright(project: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "basedpyright", "--outputjson", "--project", str(project)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def errors(report: dict, base: Path) -> list[tuple[str, str, str]]:
    return [(str(Path(d["file"]).relative_to(base)), d.get("rule", ""), f"{d['range']['start']['line'] + 1}: {d['message']}")
            for d in report["generalDiagnostics"] if d["severity"] == "error"]


def test_main_and_components_type_check_against_pulumi_aws():
    report = pyright(ROOT / "pyrightconfig.json")
    assert report["summary"]["filesAnalyzed"] >= 30, report["summary"]
    found = errors(report, ROOT)
    assert not found, "pyright:\n" + "\n".join(f"{file}:{where} ({rule})" for file, rule, where in found)


def test_the_check_sees_pulumi_aws_argument_types(tmp_path):
    """A wrong argument type to a pulumi-aws resource, and the same mistake hidden behind a dict
    spread, are both errors: the check really reads pulumi-aws's typings."""
    (tmp_path / "program.py").write_text(
        "import pulumi_aws as aws\n"
        "aws.s3.Bucket('direct', force_destroy='yes')\n"
        "args = dict(force_destroy='yes', bucket='b')\n"
        "aws.s3.Bucket('spread', **args)\n"
    )
    (tmp_path / "pyrightconfig.json").write_text(json.dumps({
        "include": ["program.py"], "pythonVersion": "3.11", "typeCheckingMode": "standard",
        "venvPath": str(ROOT), "venv": ".venv",
    }))
    found = errors(pyright(tmp_path / "pyrightconfig.json"), tmp_path)
    assert {(file, rule, where.split(":")[0]) for file, rule, where in found} >= {
        ("program.py", "reportArgumentType", "2"), ("program.py", "reportArgumentType", "4")}, found
