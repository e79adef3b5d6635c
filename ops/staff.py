"""`python -m ops staff add|list|disable|enable|roles --stack S`: staff accounts from a terminal.

The same work as the owner's staff page (handlers/shared/team.py), done by the same code
(handlers.shared.directory), on the stack's Cognito user pool and sessions table as its `staff`
output names them. It is how a new stack gets its first owner:

    python -m ops staff add --stack prod --email olive@example.com --name "Olive" --role owner

Cognito mails the new person a temporary password; they choose their own at first sign-in.
Input is checked by the page's own request models (handlers/shared/team_models.py), so an
address or role the page would refuse is refused here in the same words.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from handlers.shared.auth import ROLES

if TYPE_CHECKING:
    from handlers.shared.directory import Account, Directory

# Every `python -m ops` command builds this module's parser (add_arguments): the handlers' code and
# pydantic are imported when a staff command runs, not before.

Runner = Callable[[Sequence[str]], subprocess.CompletedProcess]


def _run(command: Sequence[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(list(command), capture_output=True, text=True)
    except FileNotFoundError:
        raise StaffCliError(f"`{command[0]}` is not installed here (or not on PATH).") from None


class StaffCliError(Exception):
    """Something to tell the operator, in words, before exiting with status 1."""


@dataclass
class Target:
    """Where a stack keeps its staff: the user pool and the sessions table, with clients for them."""

    directory: Directory
    dynamodb: Any
    sessions_table: str


def stack_target(stack: str, run: Runner | None = None) -> Target:
    from boto3.session import Session

    from handlers.shared.directory import Directory

    done = (run or _run)(["pulumi", "stack", "output", "--json", "--stack", stack])
    if done.returncode != 0:
        raise StaffCliError(f"`pulumi stack output` failed: {done.stderr.strip()}")
    outputs = json.loads(done.stdout or "{}")
    found = outputs.get("staff")
    if not found:
        raise StaffCliError(f"Stack {stack} has no staff user pool yet: run `pulumi up --stack {stack}` first.")
    session = Session(region_name=outputs["region"])  # exported with `staff`, by the same program
    return Target(Directory(session.client("cognito-idp"), found["user_pool_id"]), session.client("dynamodb"),
                  found["sessions_table"])


# -- input, checked as the page checks it -------------------------------------------------------
def _checked(model: type, **values: Any) -> Any:
    from handlers.shared.http import parse

    return parse(model, values)


def _account(target: Target, email: str) -> Account:
    from handlers.shared.team_models import StaffAddress

    address = _checked(StaffAddress, email=email).email
    account = target.directory.find(address)
    if account is None:
        raise StaffCliError(f"No staff account has the address {address}.")
    return account


def _described(account: Account) -> str:
    roles = ", ".join(account.roles) or "no roles"
    return f"{account.name} <{account.email}> ({roles}; {_state(account)})"


def _state(account: Account) -> str:
    if not account.enabled:
        return "disabled"
    return "invited" if account.invited else "active"


# -- the actions --------------------------------------------------------------------------------
def add(target: Target, args, say: Callable[[Any], None]) -> None:
    from handlers.shared.team_models import NewStaff

    request = _checked(NewStaff, email=args.email, name=args.name, roles=args.role)
    account = target.directory.add(request.email, request.name, request.roles)
    say(f"Added {_described(account)}.")
    say(f"Cognito has mailed {account.email} a temporary password; they choose their own at first sign-in.")


def show(target: Target, args, say: Callable[[Any], None]) -> None:
    from rich.table import Table

    from handlers.shared import directory as staff

    sessions = staff.signed_in_now(target.dynamodb, target.sessions_table)
    table = Table(title="Staff")
    for column in ("name", "e-mail", "roles", "state", "sessions"):
        table.add_column(column, justify="right" if column == "sessions" else "left")
    for account in target.directory.accounts():
        signed_in = sum(1 for s in sessions if s["user_id"] == account.id)
        table.add_row(account.name, account.email, ", ".join(account.roles) or "-", _state(account), str(signed_in))
    say(table)


def disable(target: Target, args, say: Callable[[Any], None]) -> None:
    from handlers.shared import directory as staff

    account = _account(target, args.email)
    signed_in = len(staff.sessions(target.dynamodb, target.sessions_table, account.id))
    account = staff.disable(target.directory, target.dynamodb, target.sessions_table, account.id)
    say(f"Disabled {_described(account)}; {signed_in} session(s) ended.")


def enable(target: Target, args, say: Callable[[Any], None]) -> None:
    from handlers.shared import directory as staff

    account = staff.enable(target.directory, target.dynamodb, target.sessions_table, _account(target, args.email).id)
    say(f"Enabled {_described(account)}; they can sign in again.")


def roles(target: Target, args, say: Callable[[Any], None]) -> None:
    from handlers.shared import directory as staff
    from handlers.shared.team_models import Roles

    request = _checked(Roles, roles=args.role)
    account = _account(target, args.email)
    before = set(account.roles)
    account = staff.set_roles(target.directory, target.dynamodb, target.sessions_table, account.id, request.roles)
    ended = " Their sessions ended: the new roles hold from their next sign-in." if set(account.roles) != before else ""
    say(f"{_described(account)}.{ended}")


ACTIONS = {"add": add, "list": show, "disable": disable, "enable": enable, "roles": roles}


def add_arguments(parser) -> None:
    """`staff`'s actions, each taking --stack (wired in ops/__main__.py)."""
    import argparse

    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--stack", required=True, help="the Pulumi stack whose staff to manage")
    actions = parser.add_subparsers(dest="action", required=True)
    add_parser = actions.add_parser("add", parents=[where], help="add a person; Cognito mails them a temporary password")
    add_parser.add_argument("--email", required=True)
    add_parser.add_argument("--name", required=True)
    add_parser.add_argument("--role", action="append", required=True, choices=ROLES, help="repeat for several roles")
    actions.add_parser("list", parents=[where], help="everyone, with roles, state and open sessions")
    for name, text in (("disable", "no more sign-ins; their sessions end now"), ("enable", "let a disabled person sign in again")):
        action = actions.add_parser(name, parents=[where], help=text)
        action.add_argument("--email", required=True)
    roles_parser = actions.add_parser("roles", parents=[where], help="set a person's roles (their sessions end)")
    roles_parser.add_argument("--email", required=True)
    roles_parser.add_argument("--role", action="append", required=True, choices=ROLES, help="repeat for several roles")


def main(args, run: Runner | None = None) -> int:
    from rich.console import Console

    from handlers.shared.directory import DirectoryError
    from handlers.shared.errors import ApiError

    console = Console()
    try:
        target = stack_target(args.stack, run)
        ACTIONS[args.action](target, args, console.print)
    except ApiError as exc:  # the page's own input checks
        problems = [f"--{field.split('.')[0]}: {problem}" for field, problem in exc.fields.items()] or [exc.message]
        console.print(*problems, sep="\n", style="red")
        return 1
    except (DirectoryError, StaffCliError) as exc:
        console.print(f"[red]{exc}[/]")
        return 1
    return 0
