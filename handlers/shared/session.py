"""Staff sign-in on every site: `POST /api/session` with the passcode sets the session cookie,
`DELETE` ends it, `GET` says whether the caller is signed in.

It is also every site's 404 page: the sites' bucket behaviours fail over to this function when S3
has no such page (an origin group, components/blocks/site/cdn.py), so a GET or HEAD of any other
path is answered with the page and status 404.
"""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from handlers.shared import auth
from handlers.shared.errors import ApiError
from handlers.shared.http import body, html_response, json_response, logger, make_api, public_scheme, require_same_site
from handlers.shared.secrets import secret_value
from handlers.shared.settings import StaffSettings, secret


class SessionSettings(StaffSettings):
    staff_passcode_secret = secret("staff-passcode")


settings = SessionSettings.load()
app = make_api(settings.origin_verify_secret)
ROUTE = "/api/session"
# The sites' own site/_shared/404.html, packaged with every function at the same place relative
# to the code as in the repository (components/stack/packaging.py); read once at cold start.
NOT_FOUND_PAGE = (Path(__file__).resolve().parents[2] / "site" / "_shared" / "404.html").read_text()
# Short, as the 10 s error caching it replaces: a guest page (/g/*), written when a booking comes
# in, shows within seconds to someone who asked for it a moment too early.
NOT_FOUND_CACHE = "public, max-age=10"


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


@app.post(ROUTE)
def sign_in():
    from handlers.shared.models import SignIn

    require_same_site(app)  # no signing a visitor in (or out) from another site
    request = body(app, SignIn)
    if not auth.verify_passcode(request.passcode, secret_value(settings.staff_passcode_secret)):
        logger.info("staff sign-in refused")
        raise ApiError(401, "wrong_passcode", "That passcode is not right.", {"passcode": "not right"})
    token = auth.issue_session(secret_value(settings.session_key_secret))
    return json_response(200, {"signed_in": True, "expires_in": auth.SESSION_SECONDS}, cookies=[_cookie(token, auth.SESSION_SECONDS)])


@app.delete(ROUTE)
def sign_out():
    require_same_site(app)
    return json_response(200, {"signed_in": False}, cookies=[_cookie("", 0)])


@app.get(ROUTE)
def status():
    try:
        auth.require_staff(app, settings.session_key_secret)
    except ApiError:
        return json_response(200, {"signed_in": False})
    return json_response(200, {"signed_in": True})


@app.not_found
def not_found(exc: Exception):
    """A page the site's bucket does not have (CloudFront failed over here): the 404 page. Other
    methods, and the sign-in path itself, keep the house JSON 404 (after the origin check, which
    runs first, as for every route)."""
    event = app.current_event
    if event.http_method.upper() in ("GET", "HEAD") and event.path != ROUTE:
        return html_response(404, NOT_FOUND_PAGE, {"Cache-Control": NOT_FOUND_CACHE})
    return json_response(404, ApiError(404, "not_found", "There is nothing at this address.").body())


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
