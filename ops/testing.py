"""`python -m ops test`: every test, with pytest's "nothing collected" treated as a failure."""

from __future__ import annotations

import subprocess
import sys

NO_TESTS_COLLECTED = 5


def main(args) -> int:
    code = subprocess.call([sys.executable, "-m", "pytest", *args.pytest_args])
    if code == NO_TESTS_COLLECTED:
        print("pytest collected no tests: that is a broken test run, not a pass", file=sys.stderr)
        return 1
    return code
