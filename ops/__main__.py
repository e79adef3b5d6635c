"""`python -m ops <command>`: the operator's tools. See `python -m ops --help`."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description="Mainstreet operator tools")
    commands = parser.add_subparsers(dest="command", required=True)

    deploy = commands.add_parser("deploy", help="after `pulumi up`: upload generated pages, invalidate what changed")
    deploy.add_argument("--stack", required=True)
    deploy.add_argument("--test-edge", action="store_true",
                        help="before `pulumi up`: run edge/ code through CloudFront's TestFunction on scratch functions")
    deploy.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    deploy.add_argument("--outputs", help="stack outputs as JSON (default: `pulumi stack output --json`)")

    plan = commands.add_parser("plan", help="the resource graph the program would create, offline")
    plan.add_argument("--stack", required=True)
    plan.add_argument("--json", action="store_true", help="machine-readable output")

    cost = commands.add_parser("cost", help="the monthly AWS bill the stack's resource graph implies, offline")
    cost.add_argument("--stack", required=True)
    cost.add_argument("--volume", help="YAML or JSON file overriding the SMB volume and assumptions (see ops/cost.py)")
    cost.add_argument("--measure", action="store_true",
                      help="re-measure ops/request_calls.json (AWS calls per request, as `make bench` does) and write it")

    local = commands.add_parser("local", help="run the whole system on this machine")
    local.add_argument("--stack", default="dev")
    local.add_argument("--port", type=int, default=8080)
    local.add_argument("--persist", action="store_true", help="keep data under .local/ across runs")
    local.add_argument("--config", action="append", metavar="KEY=VALUE",
                       help="change a stack setting for this run only, e.g. --config quietHours=00:00-00:00 (no quiet hours)")
    local.add_argument("--program", help=argparse.SUPPRESS)  # tests: a variant of __main__.py
    local.add_argument("--state-dir", help=argparse.SUPPRESS)  # tests: where --persist keeps data

    secrets = commands.add_parser("secrets", help="set the stack's missing secrets with `pulumi config set --secret`")
    secrets.add_argument("--stack", required=True)
    secrets.add_argument("--new-service-key", action="store_true", help="replace the charter service key")
    secrets.add_argument("--new-pos-secret", action="store_true", help="replace the loyalty POS webhook secret")

    staff = commands.add_parser("staff", help="staff accounts: add, list, disable, enable, set roles")
    from ops.staff import add_arguments as staff_arguments

    staff_arguments(staff)

    commands.add_parser("bench", help="measure the SPEC budgets and print the figures")

    test = commands.add_parser("test", help="run every test (what `make test` and CI run)")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["test"]:  # everything after `test` belongs to pytest
        args = argparse.Namespace(command="test", pytest_args=argv[1:])
    else:
        args = parser.parse_args(argv)
    if args.command == "deploy":
        from ops.deploy import main as run
    elif args.command == "plan":
        from ops.plan import main as run
    elif args.command == "cost":
        from ops.cost import main as run
    elif args.command == "local":
        from ops.local.server import main as run
    elif args.command == "secrets":
        from ops.secrets import main as run
    elif args.command == "staff":
        from ops.staff import main as run
    elif args.command == "bench":
        from ops.bench import main as run
    else:
        from ops.testing import main as run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
