"""Staff sign-in on every site, against the stack's Cognito user pool (server-side: the pages never
hold a Cognito token):

- `POST /api/session {"email", "password"}` signs in and sets the session cookie; with a temporary
  password it answers 409 `new_password_required`, and the same request with `new_password`
  finishes the first sign-in.
- `DELETE /api/session` ends the session (its row is deleted: a copied cookie stops working).
- `GET /api/session` says who is signed in.
- `POST /api/session/reset {"email"}` has Cognito mail a reset code; `POST
  /api/session/reset/confirm {"email", "code", "new_password"}` sets the new password and signs
  that person out everywhere.

Wrong address, wrong password and a disabled account answer alike, and every refused attempt is
padded to the same duration. Five refused attempts on one address within 15 minutes lock it for 15
minutes (429 with Retry-After) and mail the owners; one client address gets more tries, across
addresses, before it is locked the same way (handlers/shared/lockout.py).

It is also every site's 404 page: the sites' bucket behaviours fail over to this function when S3
has no such page (an origin group, components/blocks/site/cdn.py), so a GET or HEAD of any other
path is answered with the page and status 404.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from handlers.shared import auth, lockout
from handlers.shared.aws import client
from handlers.shared.errors import ApiError
from handlers.shared.http import body, header, html_response, json_response, logger, make_api, public_scheme, require_same_site
from handlers.shared.secrets import secret_value
from handlers.shared.settings import MailSettings, StaffSettings, setting, user_pool, user_pool_client


class SessionSettings(StaffSettings, MailSettings):
    staff_user_pool = user_pool("staff")
    staff_user_pool_client = user_pool_client("staff")
    business_name = setting("business name")
    password_length = setting("staff password length")


settings = SessionSettings.load()
app = make_api(settings.origin_verify_secret)
ROUTE = "/api/session"
# The sites' own site/_shared/404.html, packaged with every function at the same place relative
# to the code as in the repository (components/stack/packaging.py); read once at cold start.
NOT_FOUND_PAGE = (Path(__file__).resolve().parents[2] / "site" / "_shared" / "404.html").read_text()
# Short, as the 10 s error caching it replaces: a guest page (/g/*), written when a booking comes
# in, shows within seconds to someone who asked for it a moment too early.
NOT_FOUND_CACHE = "public, max-age=10"
# A refused sign-in takes at least this long, whatever Cognito took, so the time does not tell an
# unknown address from a wrong password (Cognito evens its own answers out; this evens out ours).
REFUSAL_SECONDS = 1.0
REFUSED = "That e-mail address and password do not match an account that may sign in."
# Cognito's answers that all mean "not this person, not now": one message for all of them.
REFUSING = {"NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException",
            "PasswordResetRequiredException", "CodeMismatchException", "ExpiredCodeException"}
sleep = time.sleep  # tests replace it


def _cookie(value: str, max_age: int) -> Cookie:
    # Secure whenever the visitor came over HTTPS (always, behind CloudFront's https-only
    # behaviours); a browser would drop a Secure cookie set over plain HTTP.
    return Cookie(
        name=auth.COOKIE,
        value=value,
        path="/",
        secure=public_scheme(app) == "https",
        http_only=True,
        max_age=max_age,
        same_site=SameSite.STRICT_MODE,
    )


def _address() -> str:
    # "ip:port", IPv6 included; CloudFront sets it and viewers cannot.
    return header(app, "cloudfront-viewer-address").rpartition(":")[0] or "unknown"


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""


def _refuse(started: float, email: str, address: str, problem: str = REFUSED, error: str = "sign_in_refused",
            status: int = 401) -> ApiError:
    """Count the refusal (which may lock the address out and mail the owners), then answer no
    sooner than REFUSAL_SECONDS after the request began."""
    locked = lockout.failed(settings.staff_sessions_table, email, address)
    if locked:
        _tell_owners(email, address)
    sleep(max(0.0, REFUSAL_SECONDS - (time.monotonic() - started)))
    return ApiError(status, error, problem)


def _tell_owners(email: str, address: str) -> None:
    """A lockout is news for the owners: someone may be guessing a colleague's password."""
    from handlers.shared import mail

    try:
        owners = client("cognito-idp").list_users_in_group(UserPoolId=settings.staff_user_pool, GroupName=auth.OWNER)["Users"]
    except Exception:  # the lockout itself stands; the mail is the lesser part
        logger.exception("could not list the owners to tell them of a lockout")
        return
    minutes = lockout.LOCK_SECONDS // 60
    for owner in owners:
        to = next((a["Value"] for a in owner.get("Attributes", []) if a["Name"] == "email"), "")
        if not owner.get("Enabled", True) or not to:
            continue
        context = {"business": settings.business_name, "email": email, "address": address, "minutes": minutes,
                   "tries": lockout.ACCOUNT_LIMIT}
        mail.send(sender=settings.mail_sender, configuration_set=settings.mail_configuration_set, to=to,
                  subject=f"{settings.business_name}: staff sign-in locked for {minutes} minutes",
                  html=mail.render("shared", "lockout.html.j2", **context),
                  text=mail.render("shared", "lockout.txt.j2", **context))


def _claims(id_token: str) -> dict:
    """The ID token's claims. It came straight from Cognito over TLS in answer to our own call, so
    its signature need not be checked to trust who it names; it is not kept."""
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _signed_in(result: dict, authenticated_ms: int, started: float, email: str):
    claims = _claims(result["IdToken"])
    roles = tuple(r for r in claims.get("cognito:groups", []) if r in auth.ROLES)
    staff = auth.Staff(claims["sub"], claims.get("name") or claims.get("email", ""), claims.get("email", ""), roles)
    try:
        token = auth.start_session(settings.staff_sessions_table, secret_value(settings.session_key_secret), staff,
                                   authenticated_ms, _address(), header(app, "user-agent"))
    except auth.SessionRefused:  # disabled, or roles changed, while this sign-in was under way
        logger.info("staff sign-in overtaken by an account change", extra={"staff": staff.id})
        sleep(max(0.0, REFUSAL_SECONDS - (time.monotonic() - started)))
        raise ApiError(401, "sign_in_refused", REFUSED) from None
    logger.info("staff signed in", extra={"staff": staff.id})
    return json_response(200, {"signed_in": True, "expires_in": auth.SESSION_SECONDS, **_who(staff)},
                         cookies=[_cookie(token, auth.SESSION_SECONDS)])


def _who(staff: auth.Staff) -> dict:
    return {"id": staff.id, "name": staff.name, "email": staff.email, "roles": list(staff.roles)}


def _password_problem() -> ApiError:
    # The pool's policy is length only (components/blocks/identity.py), so that is the rule broken.
    return ApiError(422, "weak_password", f"Choose a longer new password: at least {settings.password_length} characters "
                    "(a few words in a row work well).", {"new_password": "too short"})


@app.post(ROUTE)
def sign_in():
    from handlers.shared.models import SignIn

    require_same_site(app)  # no signing a visitor in (or out) from another site
    request = body(app, SignIn)
    started, email, address = time.monotonic(), request.email, _address()
    wait = lockout.locked(settings.staff_sessions_table, email, address)
    if wait:
        raise lockout.too_many(wait)
    cognito = client("cognito-idp")
    authenticated_ms = auth.now_ms()  # before Cognito reads the account: an account change after it wins
    try:
        result = cognito.initiate_auth(ClientId=settings.staff_user_pool_client, AuthFlow="USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": email, "PASSWORD": request.password})
    except cognito.exceptions.ClientError as exc:
        if _error_code(exc) not in REFUSING:
            raise
        logger.info("staff sign-in refused", extra={"reason": _error_code(exc)})
        raise _refuse(started, email, address) from None
    if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        if not request.new_password:
            lockout.succeeded(settings.staff_sessions_table, email)
            raise ApiError(409, "new_password_required", "Welcome! Choose your own password to finish signing in.",
                           {"new_password": "choose one"})
        try:
            result = cognito.respond_to_auth_challenge(
                ClientId=settings.staff_user_pool_client, ChallengeName="NEW_PASSWORD_REQUIRED", Session=result["Session"],
                ChallengeResponses={"USERNAME": result["ChallengeParameters"]["USERNAME"], "NEW_PASSWORD": request.new_password})
        except cognito.exceptions.InvalidPasswordException:
            raise _password_problem() from None
    if "AuthenticationResult" not in result:  # a challenge the pool is not set up for (MFA is off)
        logger.warning("unexpected sign-in challenge", extra={"challenge": result.get("ChallengeName")})
        raise ApiError(403, "sign_in_unavailable", "This account cannot sign in here. Ask the owner.")
    lockout.succeeded(settings.staff_sessions_table, email)
    return _signed_in(result["AuthenticationResult"], authenticated_ms, started, email)


@app.delete(ROUTE)
def sign_out():
    require_same_site(app)
    ref = auth.session_ref(auth.request_cookie(app), secret_value(settings.session_key_secret))
    if ref:
        auth.end_session(settings.staff_sessions_table, *ref)
    return json_response(200, {"signed_in": False}, cookies=[_cookie("", 0)])


@app.get(ROUTE)
def status():
    staff = auth.signed_in(app, settings)
    if staff is None:
        return json_response(200, {"signed_in": False})
    return json_response(200, {"signed_in": True, **_who(staff)})


@app.post(ROUTE + "/reset")
def start_reset():
    """Cognito mails a code to the account's address. The answer is the same whether or not there
    is such an account."""
    from handlers.shared.models import ResetStart

    require_same_site(app)
    request = body(app, ResetStart)
    wait = lockout.locked(settings.staff_sessions_table, request.email, _address())
    if wait:
        raise lockout.too_many(wait)
    cognito = client("cognito-idp")
    try:
        cognito.forgot_password(ClientId=settings.staff_user_pool_client, Username=request.email)
    except cognito.exceptions.ClientError as exc:
        # Unknown or disabled accounts, an address never verified, Cognito's own rate limit.
        logger.info("password reset not started", extra={"reason": _error_code(exc)})
    return json_response(202, {"sent": True, "message": "If that address has a staff account, a code is on its way to it."})


@app.post(ROUTE + "/reset/confirm")
def finish_reset():
    from handlers.shared.models import ResetFinish

    require_same_site(app)
    request = body(app, ResetFinish)
    started, address = time.monotonic(), _address()
    wait = lockout.locked(settings.staff_sessions_table, request.email, address)
    if wait:
        raise lockout.too_many(wait)
    cognito = client("cognito-idp")
    try:
        cognito.confirm_forgot_password(ClientId=settings.staff_user_pool_client, Username=request.email,
                                        ConfirmationCode=request.code, Password=request.new_password)
    except cognito.exceptions.InvalidPasswordException:
        raise _password_problem() from None
    except cognito.exceptions.ClientError as exc:
        if _error_code(exc) not in REFUSING:
            raise
        raise _refuse(started, request.email, address, "That code is not right or has run out. Ask for a new one.",
                      "reset_refused", 400) from None
    lockout.succeeded(settings.staff_sessions_table, request.email)
    _end_sessions_of(request.email)
    return json_response(200, {"changed": True, "message": "Your password is changed. Sign in with it."})


def _end_sessions_of(email: str) -> None:
    """A reset password may mean someone else knew the old one: every browser signed in as this
    person is signed out (sessions name the address they signed in with)."""
    from handlers.shared import directory

    dynamodb = client("dynamodb")
    for session in directory.sessions(dynamodb, settings.staff_sessions_table):
        if session["email"] == email:
            directory.end_session(dynamodb, settings.staff_sessions_table, session["user_id"], session["session_id"])


@app.not_found
def not_found(exc: Exception):
    """A page the site's bucket does not have (CloudFront failed over here): the 404 page. Other
    methods, and the sign-in paths themselves, keep the house JSON 404 (after the origin check,
    which runs first, as for every route)."""
    event = app.current_event
    if event.http_method.upper() in ("GET", "HEAD") and not (event.path == ROUTE or event.path.startswith(ROUTE + "/")):
        return html_response(404, NOT_FOUND_PAGE, {"Cache-Control": NOT_FOUND_CACHE})
    return json_response(404, ApiError(404, "not_found", "There is nothing at this address.").body())


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
