"""Staff accounts in the stack's Cognito user pool, as the owner's staff page and `python -m ops
staff` both manage them: one implementation, so a terminal and the page do exactly the same.

An account's id is its Cognito username, which for a pool with e-mail as the username is the
user's `sub`: stable while the address may change. Disabling an account ends its sessions at once
(its rows in the staff-sessions table are deleted) and revokes its Cognito tokens; changing roles
ends them too, so the new roles hold from the next request on.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any, Iterable

from handlers.shared.auth import ROLES, SESSION_KIND, SESSION_PREFIX, USER_PREFIX, now_ms, session_key, state_key
from handlers.shared.errors import ApiError


class DirectoryError(ApiError):
    """A request the directory refuses, in words for the person who made it (the staff API
    answers it as any ApiError; `ops staff` prints its message)."""


@dataclass
class Account:
    id: str
    email: str
    name: str
    enabled: bool
    status: str  # Cognito's: FORCE_CHANGE_PASSWORD until the first sign-in, then CONFIRMED
    roles: list[str] = field(default_factory=list)
    created_at: str = ""

    @property
    def invited(self) -> bool:
        return self.status == "FORCE_CHANGE_PASSWORD"

    def shown(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name, "enabled": self.enabled,
                "invited": self.invited, "roles": self.roles, "created_at": self.created_at}


def temporary_password() -> str:
    """A first password Cognito mails with the invitation, meeting any length policy up to 64."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24)) + "-" + secrets.token_hex(4)


class Directory:
    """The accounts and roles, in Cognito. Sessions are the module's functions below (they take
    the sessions table, so the index-grant test can follow it from the handler's settings)."""

    def __init__(self, cognito: Any, pool_id: str):
        self.cognito, self.pool_id = cognito, pool_id

    def _account(self, user: dict, roles: list[str]) -> Account:
        attributes = {a["Name"]: a["Value"] for a in user.get("Attributes") or user.get("UserAttributes") or []}
        created = user.get("UserCreateDate")
        return Account(user["Username"], attributes.get("email", ""), attributes.get("name", ""), bool(user.get("Enabled", True)),
                       user.get("UserStatus", ""), roles, created.isoformat(timespec="seconds") if created else "")

    def roles_of(self, account_id: str) -> list[str]:
        groups = self.cognito.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=account_id)["Groups"]
        return sorted(g["GroupName"] for g in groups if g["GroupName"] in ROLES)

    def accounts(self) -> list[Account]:
        """Everyone, with their roles: one ListUsers, and one ListUsersInGroup per role (a staff
        of a few people: a handful of calls, not one per person)."""
        members: dict[str, list[str]] = {}
        for role in ROLES:
            for user in self.users_of("list_users_in_group", GroupName=role):
                members.setdefault(user["Username"], []).append(role)
        users = self.users_of("list_users")
        found = [self._account(user, sorted(members.get(user["Username"], []))) for user in users]
        return sorted(found, key=lambda a: (a.name.lower(), a.email))

    def account(self, account_id: str) -> Account:
        try:
            user = self.cognito.admin_get_user(UserPoolId=self.pool_id, Username=account_id)
        except self.cognito.exceptions.UserNotFoundException:
            raise DirectoryError(404, "not_found", "There is no such staff account.") from None
        return self._account(user, self.roles_of(user["Username"]))

    def find(self, email: str) -> Account | None:
        users = self.cognito.list_users(UserPoolId=self.pool_id, Filter=f'email = "{_quoted(email)}"', Limit=1)["Users"]
        return self._account(users[0], self.roles_of(users[0]["Username"])) if users else None

    def users_of(self, operation: str, **params: Any) -> list[dict]:
        """Every user a listing operation (list_users, list_users_in_group) returns, page by page."""
        found, token = [], None
        while True:
            page = getattr(self.cognito, operation)(UserPoolId=self.pool_id, **params, **({"NextToken": token} if token else {}))
            found += page.get("Users", [])
            token = page.get("NextToken")
            if not token:
                return found

    def add(self, email: str, name: str, roles: Iterable[str], *, password: str | None = None) -> Account:
        """A new account; Cognito mails its temporary password (or `password`, when given, is set
        as the account's own and nothing is mailed: local mode's first owner)."""
        roles = _checked_roles(roles)
        taken = DirectoryError(409, "already_staff", f"{email} already has a staff account: change its roles instead.")
        existing = self.find(email)
        if existing is not None and not existing.enabled:
            raise DirectoryError(409, "already_staff", f"{email} already has a staff account, disabled: re-enable it instead.")
        if existing is not None:
            raise taken
        try:
            user = self.cognito.admin_create_user(
                UserPoolId=self.pool_id, Username=email, TemporaryPassword=temporary_password(),
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                                {"Name": "name", "Value": name}],
                DesiredDeliveryMediums=["EMAIL"], **({"MessageAction": "SUPPRESS"} if password else {}))["User"]
        except self.cognito.exceptions.UsernameExistsException:
            raise taken from None
        account_id = user["Username"]
        if password:
            self.cognito.admin_set_user_password(UserPoolId=self.pool_id, Username=account_id, Password=password, Permanent=True)
        for role in roles:
            self.cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=account_id, GroupName=role)
        return self.account(account_id)



def reinvite(directory: Directory, account_id: str) -> tuple[Account, str]:
    """A new temporary password for someone who has not signed in yet (the first one works for a
    few days only): the account and the password, for the caller to mail. Whoever has chosen their
    own password uses "Forgot password?" instead."""
    account = directory.account(account_id)
    if not account.invited:
        raise DirectoryError(409, "already_active", f"{account.name} has already chosen a password: "
                             "they can use \"Forgot password?\" on the sign-in form.")
    password = temporary_password()
    directory.cognito.admin_set_user_password(UserPoolId=directory.pool_id, Username=account_id, Password=password, Permanent=False)
    return account, password


def set_roles(directory: Directory, dynamodb: Any, table: str, account_id: str, roles: Iterable[str], *, by: str = "",
              keep_session: str = "") -> Account:
    """Give `account_id` exactly `roles`; its sessions end when they change (the roles a session
    carries were read at sign-in), except `keep_session`: an owner adding a role to their own
    account stays signed in on the page they did it from (they keep the owner role, which may do
    everything, so that session's older roles allow no more than the new ones)."""
    roles = _checked_roles(roles)
    if account_id == by and "owner" not in roles:
        raise DirectoryError(409, "own_owner_role", "You cannot take away your own owner role: ask another owner.")
    current = set(directory.account(account_id).roles)
    if "owner" in current and "owner" not in roles:
        _not_the_last_owner(directory, account_id)
    for role in sorted(set(roles) - current):
        directory.cognito.admin_add_user_to_group(UserPoolId=directory.pool_id, Username=account_id, GroupName=role)
    for role in sorted(current - set(roles)):
        directory.cognito.admin_remove_user_from_group(UserPoolId=directory.pool_id, Username=account_id, GroupName=role)
    if current != set(roles):
        sessions_begin(dynamodb, table, account_id, now_ms())
        end_sessions(dynamodb, table, account_id, keep=keep_session if account_id == by else "")
    return directory.account(account_id)


def disable(directory: Directory, dynamodb: Any, table: str, account_id: str, *, by: str = "") -> Account:
    """No more sign-ins for `account_id`, and every session of theirs ends now (a sign-in racing
    this is refused by the state row, or its session found and ended: handlers.shared.auth)."""
    if account_id == by:
        raise DirectoryError(409, "own_account", "You cannot disable your own account: ask another owner.")
    directory.account(account_id)  # 404 for an unknown id
    _not_the_last_owner(directory, account_id)
    sessions_begin(dynamodb, table, account_id, NEVER)
    directory.cognito.admin_disable_user(UserPoolId=directory.pool_id, Username=account_id)
    directory.cognito.admin_user_global_sign_out(UserPoolId=directory.pool_id, Username=account_id)
    end_sessions(dynamodb, table, account_id)
    return directory.account(account_id)


def enable(directory: Directory, dynamodb: Any, table: str, account_id: str) -> Account:
    directory.account(account_id)  # 404 for an unknown id
    directory.cognito.admin_enable_user(UserPoolId=directory.pool_id, Username=account_id)
    sessions_begin(dynamodb, table, account_id, now_ms())
    return directory.account(account_id)


NEVER = 2**53  # a state row's `not_before` while the account is disabled (milliseconds)


def sessions_begin(dynamodb: Any, table: str, account_id: str, not_before_ms: int) -> None:
    """From now on, only sign-ins authenticated at or after `not_before_ms` start a session."""
    dynamodb.put_item(TableName=table, Item={**state_key(account_id), "not_before": {"N": str(not_before_ms)}})


def signed_in_now(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """Everyone's sessions, from the `signed-in` index (for the owner's list: a session begun a
    moment ago may be missing; ending sessions never relies on it)."""
    return _shown(_query_pages(dynamodb, TableName=table, IndexName="signed-in", KeyConditionExpression="kind = :kind",
                         ExpressionAttributeValues={":kind": {"S": SESSION_KIND}}))


def sessions(dynamodb: Any, table: str, account_id: str) -> list[dict[str, Any]]:
    """One person's sessions, read consistently from their partition: none is missed."""
    return _shown(_query_pages(dynamodb, TableName=table, ConsistentRead=True,
                         KeyConditionExpression="pk = :user AND begins_with(sk, :session)",
                         ExpressionAttributeValues={":user": {"S": USER_PREFIX + account_id},
                                                    ":session": {"S": SESSION_PREFIX}}))


def _query_pages(dynamodb: Any, **query: Any) -> list[dict]:
    rows, start = [], None
    while True:
        page = dynamodb.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        rows += page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return rows


def _shown(rows: list[dict]) -> list[dict[str, Any]]:
    """Sessions as the page shows them, newest first; run-out ones left out."""
    import time

    now = time.time()
    shown = [{"session_id": r["session_id"]["S"], "user_id": r["user_id"]["S"], "name": r["name"]["S"],
              "email": r["email"]["S"], "created_at": r["created_at"]["S"], "address": r.get("address", {}).get("S", ""),
              "agent": r.get("agent", {}).get("S", "")}
             for r in rows if int(r["expires_at"]["N"]) > now]
    return sorted(shown, key=lambda s: s["created_at"], reverse=True)


def end_sessions(dynamodb: Any, table: str, account_id: str, *, keep: str = "") -> int:
    ended = [s for s in sessions(dynamodb, table, account_id) if s["session_id"] != keep]
    for session in ended:
        end_session(dynamodb, table, account_id, session["session_id"])
    return len(ended)


def end_session(dynamodb: Any, table: str, account_id: str, session_id: str) -> None:
    dynamodb.delete_item(TableName=table, Key=session_key(account_id, session_id))


def _not_the_last_owner(directory: Directory, account_id: str) -> None:
    """Somebody must be left who can manage staff (the terminal, which acts as nobody, included)."""
    owners = [u["Username"] for u in directory.users_of("list_users_in_group", GroupName="owner") if u.get("Enabled", True)]
    if owners == [account_id]:
        raise DirectoryError(409, "last_owner", "This is the only owner left: make someone else an owner first.")


def _checked_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise DirectoryError(422, "unknown_role", f"There is no role {', '.join(unknown)}; the roles are {', '.join(ROLES)}.")
    return roles


def _quoted(value: str) -> str:
    # ListUsers filters are "attribute = \"value\""; an address holds no quote once validated,
    # but the filter must not be steerable by one anyway.
    return value.replace("\\", "\\\\").replace('"', '\\"')
