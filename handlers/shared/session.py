"""Staff sign-in on every site: `POST /api/session` with the passcode sets the session cookie,
`DELETE` ends it, `GET` says whether the caller is signed in."""

from __future__ import annotations

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from handlers.shared import auth
from handlers.shared.errors import ApiError
from handlers.shared.http import body, json_response, logger, make_api, public_scheme, require_same_site
from handlers.shared.secrets import secret_value
from handlers.shared.settings import StaffSettings, secret


class SessionSettings(StaffSettings):
    staff_passcode_secret = secret("staff-passcode")


settings = SessionSettings.load()
app = make_api(settings.origin_verify_secret)


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


@app.post("/api/session")
def sign_in():
    from handlers.shared.models import SignIn

    require_same_site(app)  # no signing a visitor in (or out) from another site
    request = body(app, SignIn)
    if not auth.verify_passcode(request.passcode, secret_value(settings.staff_passcode_secret)):
        logger.info("staff sign-in refused")
        raise ApiError(401, "wrong_passcode", "That passcode is not right.", {"passcode": "not right"})
    token = auth.issue_session(secret_value(settings.session_key_secret))
    return json_response(200, {"signed_in": True, "expires_in": auth.SESSION_SECONDS}, cookies=[_cookie(token, auth.SESSION_SECONDS)])


@app.delete("/api/session")
def sign_out():
    require_same_site(app)
    return json_response(200, {"signed_in": False}, cookies=[_cookie("", 0)])


@app.get("/api/session")
def status():
    try:
        auth.require_staff(app, settings.session_key_secret)
    except ApiError:
        return json_response(200, {"signed_in": False})
    return json_response(200, {"signed_in": True})


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
