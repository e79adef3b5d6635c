"""Staff sign-in on every site, against the stack's Cognito user pool (server-side: the pages never
hold a Cognito token):

- `POST /api/session {"email", "password"}` signs in and sets the session cookie; with a temporary
  password it answers 409 `new_password_required`, and the same request with `new_password`
  finishes the first sign-in.
- `DELETE /api/session` ends the session (its row is deleted: a copied cookie stops working).
- `GET /api/session` says who is signed in.
- `POST /api/session/reset {"email"}` has Cognito mail a reset code; `POST
  /api/session/reset/confirm {"email", "code", "new_password"}` sets the new password, lifts a
  sign-in lockout of that account and signs the person out everywhere.

Wrong address, wrong password and a disabled account answer alike, and every refused attempt is
padded to the same duration. Attempts are counted before Cognito is asked: five on one address
within 15 minutes (parallel ones included) lock it for 15 minutes (429 with Retry-After) and mail
the owners; one client gets more tries, across addresses, before it is locked the same way; resets
count apart (handlers/shared/lockout.py).

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
from handlers.shared.notify import NotifySettings
from handlers.shared.settings import StaffSettings, setting, user_pool, user_pool_client


class SessionSettings(StaffSettings, NotifySettings):
    staff_user_pool = user_pool("staff")
    staff_user_pool_client = user_pool_client("staff")
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
            "PasswordResetRequiredException", "CodeMismatchException", "ExpiredCodeException",
            "TooManyFailedAttemptsException", "InvalidParameterException"}
# Cognito's own rate limits: not the person's fault, nor a refusal to count.
THROTTLED = {"TooManyRequestsException", "LimitExceededException"}
BAD_CODE = "That code is not right or has run out. Ask for a new one."
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


def _cognito_problem(exc: Exception) -> str:
    """REFUSING, THROTTLED, or raise: anything else is ours to fix (a 500, logged)."""
    code = _error_code(exc)
    if code in REFUSING:
        return "refused"
    if code in THROTTLED:
        logger.warning("Cognito throttled a sign-in call", extra={"reason": code})
        return "throttled"
    raise exc


def _busy() -> ApiError:
    return ApiError(429, "busy", "Too many sign-ins at once just now. Wait a minute and try again.", headers={"Retry-After": "60"})


def _refuse(started: float, attempt: lockout.Attempt, email: str, address: str, problem: str = REFUSED,
            error: str = "sign_in_refused", status: int = 401) -> ApiError:
    """The attempt failed (which may lock the account and mail the owners); answer no sooner
    than REFUSAL_SECONDS after the request began."""
    if attempt.failed():
        _tell_owners(email, address)
    _pad(started)
    return ApiError(status, error, problem)


def _pad(started: float) -> None:
    """Answer a refusal no sooner than REFUSAL_SECONDS after the request began."""
    sleep(max(0.0, REFUSAL_SECONDS - (time.monotonic() - started)))


def _tell_owners(email: str, address: str) -> None:
    """A lockout is news for the owners: someone may be guessing a colleague's password. One mail
    per lock window at most, whatever is guessed (made-up addresses lock too), and never at the
    cost of the answer: the lockout itself stands without it."""
    from handlers.shared import notify

    try:
        if not lockout.notice_due(settings.staff_sessions_table):
            return
        window = int(time.time()) // lockout.LOCK_SECONDS
        owners = client("cognito-idp").list_users_in_group(UserPoolId=settings.staff_user_pool, GroupName=auth.OWNER)["Users"]
        minutes = lockout.LOCK_SECONDS // 60
        for owner in owners:
            to = next((a["Value"] for a in owner.get("Attributes", []) if a["Name"] == "email"), "")
            if not owner.get("Enabled", True) or not to:
                continue
            notify.notify(key=f"{window}-{owner['Username']}", to=notify.Recipient(email=to), kind=notify.TRANSACTIONAL,
                          system="staff", package="shared", template="lockout",
                          data={"email": email, "address": address, "minutes": minutes, "tries": lockout.ACCOUNT_LIMIT})
    except Exception:
        logger.exception("could not tell the owners of a lockout")


def _claims(id_token: str) -> dict:
    """The ID token's claims. It came straight from Cognito over TLS in answer to our own call, so
    its signature need not be checked to trust who it names; it is not kept."""
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _signed_in(result: dict, authenticated_ms: int):
    claims = _claims(result["IdToken"])
    roles = tuple(r for r in claims.get("cognito:groups", []) if r in auth.ROLES)
    staff = auth.Staff(claims["sub"], claims.get("name") or claims.get("email", ""), claims.get("email", ""), roles)
    try:
        token = auth.start_session(settings.staff_sessions_table, secret_value(settings.session_key_secret), staff,
                                   authenticated_ms, _address(), header(app, "user-agent"))
    except auth.SessionRefused:  # disabled, or roles changed, while this sign-in was under way
        logger.info("staff sign-in overtaken by an account change", extra={"staff": staff.id})
        raise ApiError(409, "sign_in_again", "Your account changed while you were signing in. Please sign in again.") from None
    logger.info("staff signed in", extra={"staff": staff.id})
    return json_response(200, {"signed_in": True, "expires_in": auth.SESSION_SECONDS, **_who(staff)},
                         cookies=[_cookie(token, auth.SESSION_SECONDS)])


def _who(staff: auth.Staff) -> dict:
    return {"id": staff.id, "name": staff.name, "email": staff.email, "roles": list(staff.roles)}


def _password_problem() -> ApiError:
    return ApiError(422, "weak_password", f"Choose a new password of at least {settings.password_length} characters "
                    "(a few words in a row work well), without spaces at its ends.", {"new_password": "too short"})


def _check_new_password(password: str | None) -> None:
    """The pool's policy, checked before Cognito is asked (length only: components/blocks/identity.py;
    Cognito refuses spaces at either end)."""
    if password is not None and (len(password) < int(settings.password_length) or password != password.strip()):
        raise _password_problem()


@app.post(ROUTE)
def sign_in():
    from handlers.shared.models import SignIn

    require_same_site(app)  # no signing a visitor in (or out) from another site
    request = body(app, SignIn)
    _check_new_password(request.new_password)
    started, email, address = time.monotonic(), request.email, _address()
    attempt = lockout.begin(settings.staff_sessions_table, lockout.sign_in_counters(email, address))
    cognito = client("cognito-idp")
    authenticated_ms = auth.now_ms()  # before Cognito reads the account: an account change after it wins
    try:
        result = cognito.initiate_auth(ClientId=settings.staff_user_pool_client, AuthFlow="USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": email, "PASSWORD": request.password})
    except cognito.exceptions.ClientError as exc:
        if _cognito_problem(exc) == "throttled":
            raise _busy() from None
        logger.info("staff sign-in refused", extra={"reason": _error_code(exc)})
        raise _refuse(started, attempt, email, address) from None
    attempt.succeeded()  # the password was right, temporary or not
    if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        if not request.new_password:
            raise ApiError(409, "new_password_required", "Welcome! Choose your own password to finish signing in: at "
                           f"least {settings.password_length} characters.", {"new_password": "choose one"})
        try:
            result = cognito.respond_to_auth_challenge(
                ClientId=settings.staff_user_pool_client, ChallengeName="NEW_PASSWORD_REQUIRED", Session=result["Session"],
                ChallengeResponses={"USERNAME": result["ChallengeParameters"]["USERNAME"], "NEW_PASSWORD": request.new_password})
        except cognito.exceptions.InvalidPasswordException:
            raise _password_problem() from None
        except cognito.exceptions.ClientError as exc:
            if _cognito_problem(exc) == "throttled":
                raise _busy() from None
            raise ApiError(409, "sign_in_again", "That took too long. Please sign in again.") from None
    if "AuthenticationResult" not in result:  # a challenge the pool is not set up for (MFA is off)
        logger.warning("unexpected sign-in challenge", extra={"challenge": result.get("ChallengeName")})
        raise ApiError(403, "sign_in_unavailable", "This account cannot sign in here. Ask the owner.")
    return _signed_in(result["AuthenticationResult"], authenticated_ms)


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
    is such an account; each request counts (a code is a mail), on counters apart from sign-in's."""
    from handlers.shared.models import ResetStart

    require_same_site(app)
    request = body(app, ResetStart)
    lockout.begin(settings.staff_sessions_table, lockout.reset_counters(request.email, _address()), reset_works=False)
    cognito = client("cognito-idp")
    try:
        cognito.forgot_password(ClientId=settings.staff_user_pool_client, Username=request.email)
    except cognito.exceptions.ClientError as exc:
        # Unknown or disabled accounts, an address never verified, Cognito's own rate limit.
        logger.info("password reset not started", extra={"reason": _error_code(exc)})
    return json_response(202, {"sent": True, "message": "If that address has a staff account, a code is on its way to it. "
                                                        f"Your new password needs at least {settings.password_length} characters."})


@app.post(ROUTE + "/reset/confirm")
def finish_reset():
    from handlers.shared.models import ResetFinish

    require_same_site(app)
    request = body(app, ResetFinish)
    _check_new_password(request.new_password)
    started, email, address = time.monotonic(), request.email, _address()
    attempt = lockout.begin(settings.staff_sessions_table, lockout.reset_counters(email, address), reset_works=False)
    cognito = client("cognito-idp")
    try:
        cognito.confirm_forgot_password(ClientId=settings.staff_user_pool_client, Username=email,
                                        ConfirmationCode=request.code, Password=request.new_password)
    except cognito.exceptions.InvalidPasswordException:
        raise _password_problem() from None
    except cognito.exceptions.ClientError as exc:
        if _cognito_problem(exc) == "throttled":
            raise _busy() from None
        attempt.failed()
        _pad(started)
        raise ApiError(400, "reset_refused", BAD_CODE) from None
    attempt.succeeded()
    # Proof of the mailbox: whatever guesses locked the account's sign-in no longer hold it.
    lockout.clear(settings.staff_sessions_table, lockout.sign_in_counters(email, address))
    _sign_out_everywhere(email, request.new_password)
    return json_response(200, {"changed": True, "message": "Your password is changed. Sign in with it."})


def _sign_out_everywhere(email: str, password: str) -> None:
    """A reset password may mean someone else knew the old one: every session of this person ends,
    and a sign-in with the old password still under way gets none. Who the person is comes from
    signing in once with the new password (its tokens are not kept)."""
    from handlers.shared import directory

    try:
        result = client("cognito-idp").initiate_auth(ClientId=settings.staff_user_pool_client, AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": email, "PASSWORD": password})
        account_id = _claims(result["AuthenticationResult"]["IdToken"])["sub"]
    except Exception:  # the password is changed either way; the person can end sessions by signing in
        logger.exception("could not find who reset their password, to sign them out elsewhere")
        return
    dynamodb = client("dynamodb")
    directory.sessions_begin(dynamodb, settings.staff_sessions_table, account_id, auth.now_ms())
    directory.end_sessions(dynamodb, settings.staff_sessions_table, account_id)


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
