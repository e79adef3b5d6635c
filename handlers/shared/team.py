"""The owner's staff page (ops site, `/api/staff`): add people, change their roles, disable and
re-enable their accounts, see who is signed in and end a session. Owners only.

The work is handlers.shared.directory's, which `python -m ops staff` uses too.
"""

from __future__ import annotations

from functools import lru_cache

from handlers.shared import auth, directory as staff
from handlers.shared.aws import client
from handlers.shared.directory import Directory
from handlers.shared.http import body, json_response, logger, make_api, public_base_url
from handlers.shared.notify import NotifySettings
from handlers.shared.settings import StaffSettings, setting, user_pool


class TeamSettings(StaffSettings, NotifySettings):
    staff_user_pool = user_pool("staff")


settings = TeamSettings.load()
app = make_api(settings.origin_verify_secret)
owner_only = auth.staff_only(settings, auth.OWNER)


@lru_cache(maxsize=1)
def directory() -> Directory:
    return Directory(client("cognito-idp"), settings.staff_user_pool)


def _me() -> auth.Staff:
    return auth.current_staff(app)


@app.get("/api/staff", middlewares=[owner_only])
def list_staff():
    me = _me()
    sessions = staff.signed_in_now(client("dynamodb"), settings.staff_sessions_table)
    for session in sessions:
        session["current"] = session["session_id"] == me.session_id
    return json_response(200, {"staff": [a.shown() for a in directory().accounts()], "sessions": sessions,
                               "roles": list(auth.ROLES), "me": me.id})


@app.post("/api/staff", middlewares=[owner_only])
def add_staff():
    from handlers.shared.team_models import NewStaff

    request = body(app, NewStaff)
    account = directory().add(request.email, request.name, request.roles)
    logger.info("staff account added", extra={"account": account.id, "by": _me().id, "roles": account.roles})
    return json_response(201, {"account": account.shown()})


@app.put("/api/staff/<account_id>/roles", middlewares=[owner_only])
def set_roles(account_id: str):
    from handlers.shared.team_models import Roles, account_id_problem

    account_id_problem(account_id)
    request = body(app, Roles)
    account = staff.set_roles(directory(), client("dynamodb"), settings.staff_sessions_table, account_id, request.roles,
                              by=_me().id, keep_session=_me().session_id)
    logger.info("staff roles set", extra={"account": account_id, "by": _me().id, "roles": account.roles})
    return json_response(200, {"account": account.shown()})


@app.post("/api/staff/<account_id>/disable", middlewares=[owner_only])
def disable(account_id: str):
    from handlers.shared.team_models import account_id_problem

    account_id_problem(account_id)
    account = staff.disable(directory(), client("dynamodb"), settings.staff_sessions_table, account_id, by=_me().id)
    logger.info("staff account disabled", extra={"account": account_id, "by": _me().id})
    return json_response(200, {"account": account.shown()})


@app.post("/api/staff/<account_id>/enable", middlewares=[owner_only])
def enable(account_id: str):
    from handlers.shared.team_models import account_id_problem

    account_id_problem(account_id)
    account = staff.enable(directory(), client("dynamodb"), settings.staff_sessions_table, account_id)
    logger.info("staff account enabled", extra={"account": account_id, "by": _me().id})
    return json_response(200, {"account": account.shown()})


@app.post("/api/staff/<account_id>/invite", middlewares=[owner_only])
def invite_again(account_id: str):
    """A new temporary password, mailed by us (Cognito's own resend is not emulated faithfully
    locally, and this mail names the business and where to sign in)."""
    import hashlib

    from handlers.shared import notify
    from handlers.shared.team_models import account_id_problem

    account_id_problem(account_id)
    account, password = staff.reinvite(directory(), account_id)
    # Each new password is a new invitation; the same one is never mailed twice.
    key = f"{account_id}-{hashlib.sha256(password.encode()).hexdigest()[:16]}"
    notify.notify(key=key, to=notify.Recipient(email=account.email), kind=notify.TRANSACTIONAL, system="staff",
                  package="shared", template="invitation",
                  data={"name": account.name, "email": account.email, "password": password, "sign_in": public_base_url(app) + "/"})
    logger.info("staff invitation sent again", extra={"account": account_id, "by": _me().id})
    return json_response(200, {"account": account.shown(), "message": f"A new invitation is on its way to {account.email}."})


@app.delete("/api/staff/<account_id>/sessions/<session_id>", middlewares=[owner_only])
def end_session(account_id: str, session_id: str):
    from handlers.shared.team_models import account_id_problem, session_id_problem

    account_id_problem(account_id)
    session_id_problem(session_id)
    staff.end_session(client("dynamodb"), settings.staff_sessions_table, account_id, session_id)  # ending an ended one is done too
    logger.info("staff session ended", extra={"by": _me().id})
    return json_response(200, {"ended": True})


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
