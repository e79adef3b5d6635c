"""Staff sign-in with a personal account on the stack's Cognito user pool: a 12-hour HttpOnly
SameSite=Strict cookie naming a session row; wrong address, wrong password and disabled account
answer alike; five refusals lock the account for 15 minutes; a first sign-in sets the person's own
password; a forgotten one is reset by a mailed code; signing out ends the session for every copy
of the cookie."""

from __future__ import annotations

import time

import pytest

from handlers.shared import auth, lockout
from ops import harness
from tests.handlers.conftest import HOST, STAFF_PASSWORD

ANA = "ana@staff.example"


@pytest.fixture
def session(function, monkeypatch):
    client = function("staff-session")
    waits: list[float] = []
    monkeypatch.setattr(client.module, "sleep", waits.append)  # the refusal's padding, recorded not slept
    client.waits = waits
    return client


@pytest.fixture
def ana(staff_account):
    return staff_account(ANA, "Ana Alvarez", ["loyalty-desk"])


def sign_in(session, email=ANA, password=STAFF_PASSWORD, **extra):
    return session.post("/api/session", {"email": email, "password": password, **extra})


def cookie_of(reply) -> str:
    return reply.cookies[0].split(";")[0]


def session_rows(aws):
    import boto3

    table = aws.named("aws:dynamodb/table:Table", "staff-sessions").inputs["name"]
    items = boto3.client("dynamodb", region_name="us-west-2").scan(TableName=table)["Items"]
    return [i for i in items if i["sk"]["S"].startswith("SESSION#")]


def test_the_right_password_sets_a_strict_http_only_secure_cookie_and_says_who(session, ana):
    reply = sign_in(session)
    assert reply.status == 200, reply.text
    body = reply.json()
    assert body["signed_in"] is True and body["id"] == ana and body["name"] == "Ana Alvarez"
    assert body["email"] == ANA and body["roles"] == ["loyalty-desk"]
    [cookie] = reply.cookies
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith("ms_staff=") and len(attributes[0]) > 30
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=43200"} <= set(attributes)
    assert reply.headers["Cache-Control"] == "no-store"
    # Nothing of Cognito's reaches the page: no token, no pool id.
    assert "eyJ" not in reply.text and "us-west-2_" not in reply.text
    status = session.get("/api/session", headers={"cookie": cookie_of(reply)}).json()
    assert status == {"signed_in": True, "id": ana, "name": "Ana Alvarez", "email": ANA, "roles": ["loyalty-desk"]}


def test_the_address_is_not_case_sensitive(session, ana):
    assert sign_in(session, email="Ana@Staff.Example").status == 200


def test_over_plain_http_the_cookie_is_not_secure_so_the_browser_keeps_it(session, ana):
    # CloudFront (or local mode's front door) names the viewer's scheme; the handler never
    # guesses it from the host name.
    body = {"email": ANA, "password": STAFF_PASSWORD}
    reply = session.post("/api/session", body, host="ops.localhost:8080", headers={"CloudFront-Forwarded-Proto": "http"})
    assert "Secure" not in [part.strip() for part in reply.cookies[0].split(";")]
    reply = session.post("/api/session", body, host="ops.localhost:8080", headers={"CloudFront-Forwarded-Proto": "https"})
    assert "Secure" in [part.strip() for part in reply.cookies[0].split(";")]


def test_wrong_password_unknown_address_and_disabled_account_answer_alike(session, ana, staff_account, aws):
    staff_account("gone@staff.example", "Gone", ["dispatch"])
    directory = staff_account.directory
    directory.cognito.admin_disable_user(UserPoolId=directory.pool_id, Username=directory.find("gone@staff.example").id)
    answers = [sign_in(session, password="not the password"), sign_in(session, email="nobody@staff.example"),
               sign_in(session, email="gone@staff.example")]
    for reply in answers:
        assert reply.status == 401 and reply.cookies == []
        assert reply.json() == {"error": "sign_in_refused", "fields": {},
                                "message": "That e-mail address and password do not match an account that may sign in."}
    # Each refusal is padded to the same floor, whatever Cognito took.
    assert len(session.waits) == 3 and all(0 < wait <= session.module.REFUSAL_SECONDS for wait in session.waits)
    assert session_rows(aws) == []


def test_five_refusals_lock_the_account_for_15_minutes_and_mail_the_owner(session, ana, staff_cookie, sent_mail, monkeypatch):
    mails_before = len(sent_mail())
    for _ in range(lockout.ACCOUNT_LIMIT):
        assert sign_in(session, password="guess").status == 401
    locked = sign_in(session)  # even the right password waits
    assert locked.status == 429 and locked.cookies == [] and locked.json()["error"] == "too_many_attempts"
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60 + 1
    assert "15 minutes" in locked.json()["message"]
    mails = sent_mail()[mails_before:]
    # The dev stack mails in sandbox mode: for the owner, at the sandbox's redirect address.
    assert len(mails) == 1 and mails[0].subject.startswith("[for owner@staff.example]") and "locked" in mails[0].subject
    assert ANA in mails[0].body
    # Another account from elsewhere is not affected.
    assert sign_in(session, email="owner@staff.example", headers=None).status == 200
    # After the window the right password works, and the count starts again.
    later = time.time() + lockout.LOCK_SECONDS + 1
    monkeypatch.setattr(lockout.time, "time", lambda: later)
    monkeypatch.setattr(auth.time, "time", lambda: later)
    assert sign_in(session).status == 200
    assert sign_in(session, password="guess").status == 401
    assert sign_in(session).status == 200


def test_an_unknown_address_is_locked_like_a_real_one(session):
    for _ in range(lockout.ACCOUNT_LIMIT):
        assert sign_in(session, email="nobody@staff.example", password="guess").status == 401
    assert sign_in(session, email="nobody@staff.example", password="guess").status == 429


def test_one_client_address_guessing_many_accounts_is_locked_too(session, ana):
    for n in range(lockout.CLIENT_LIMIT):
        assert sign_in(session, email=f"guess{n}@staff.example", password="guess").status == 401
    assert sign_in(session).status == 429  # from that address, even Ana waits
    elsewhere = session.post("/api/session", {"email": ANA, "password": STAFF_PASSWORD},
                             headers={"cloudfront-viewer-address": "203.0.113.9:4000"})
    assert elsewhere.status == 200


def test_concurrent_refusals_all_count_and_lock_once(on_dynamodb_local, session, ana, staff_cookie, sent_mail):
    """On DynamoDB Local: moto's in-process tables do not make a conditional update atomic."""
    from concurrent.futures import ThreadPoolExecutor

    before = len(sent_mail())
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: sign_in(session, password="guess").status, range(lockout.ACCOUNT_LIMIT + 3)))
    assert set(statuses) <= {401, 429}
    assert sign_in(session).status == 429
    assert len(sent_mail()) - before == 1


def test_a_first_sign_in_with_a_temporary_password_asks_for_a_new_one(session, staff_account):
    staff_account("new@staff.example", "Nico New", ["dispatch"], password=None)  # invited: Cognito's temporary password
    directory = staff_account.directory
    temporary = "Temporary-password-1"
    directory.cognito.admin_set_user_password(UserPoolId=directory.pool_id, Username=directory.find("new@staff.example").id,
                                              Password=temporary, Permanent=False)
    first = sign_in(session, email="new@staff.example", password=temporary)
    assert first.status == 409 and first.json()["error"] == "new_password_required" and first.cookies == []
    short = sign_in(session, email="new@staff.example", password=temporary, new_password="short")
    assert short.status == 422 and short.json()["error"] == "weak_password" and "12 characters" in short.json()["message"]
    done = sign_in(session, email="new@staff.example", password=temporary, new_password="a new long passphrase")
    assert done.status == 200 and done.json()["name"] == "Nico New" and done.cookies
    assert sign_in(session, email="new@staff.example", password="a new long passphrase").status == 200
    assert sign_in(session, email="new@staff.example", password=temporary).status == 401


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(session, ana, function, aws):
    desk = function("loyalty-redeem")
    cookie = cookie_of(sign_in(session))
    copied = cookie
    lookup = {"phone": "+6591234567"}
    assert desk.post("/api/members/lookup", lookup, headers={"cookie": copied}).status != 401
    reply = session.request("DELETE", "/api/session", headers={"cookie": cookie})
    assert reply.status == 200 and "Max-Age=0" in reply.cookies[0]
    assert session_rows(aws) == []
    assert desk.post("/api/members/lookup", lookup, headers={"cookie": copied}).status == 401
    assert session.get("/api/session", headers={"cookie": copied}).json() == {"signed_in": False}
    again = session.request("DELETE", "/api/session", headers={"cookie": copied})  # signing out twice is fine
    assert again.status == 200


def test_tampered_expired_and_forged_sessions_are_not_signed_in(session, ana, monkeypatch):
    cookie = cookie_of(sign_in(session))
    name, value = cookie.split("=", 1)
    tampered = f"{name}={value[:-2]}{'A' if value[-2] != 'A' else 'B'}{value[-1]}"
    assert session.get("/api/session", headers={"cookie": tampered}).json() == {"signed_in": False}
    forged = "ms_staff=" + auth.tokens.sign("staff-session", "not-the-key", {"sid": "x" * 32})
    assert session.get("/api/session", headers={"cookie": forged}).json() == {"signed_in": False}
    later = time.time() + auth.SESSION_SECONDS + 60
    monkeypatch.setattr(auth.time, "time", lambda: later)  # the row's own expiry, TTL or not
    assert session.get("/api/session", headers={"cookie": cookie}).json() == {"signed_in": False}


def test_a_forgotten_password_is_reset_with_the_mailed_code(session, ana):
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    signed_in_before = cookie_of(sign_in(session))
    started = session.post("/api/session/reset", {"email": ANA})
    assert started.status == 202
    unknown = session.post("/api/session/reset", {"email": "nobody@staff.example"})
    assert unknown.status == 202 and unknown.json() == started.json()  # no oracle
    backend = cognitoidp_backends[DEFAULT_ACCOUNT_ID]["us-west-2"]
    code = next(u.confirmation_code for p in backend.user_pools.values() for u in p.users.values() if u.confirmation_code)
    wrong = session.post("/api/session/reset/confirm", {"email": ANA, "code": "moto-confirmation-code:000000",
                                                        "new_password": "another long passphrase"})
    assert wrong.status == 400 and wrong.json()["error"] == "reset_refused"
    done = session.post("/api/session/reset/confirm", {"email": ANA, "code": code, "new_password": "another long passphrase"})
    assert done.status == 200, done.text
    # Whoever knew the old password is signed out too.
    assert session.get("/api/session", headers={"cookie": signed_in_before}).json() == {"signed_in": False}
    assert sign_in(session, password="another long passphrase").status == 200
    assert sign_in(session).status == 401


BAD_SIGN_INS = [
    ({}, 422, "email"),
    ({"email": ANA}, 422, "password"),
    ({"email": "not an address", "password": "x"}, 422, "email"),
    ({"email": ANA, "password": ""}, 422, "password"),
    ({"email": ANA, "password": 12}, 422, "password"),
    ({"email": ANA, "password": "x" * 300}, 422, "password"),
    ("not json", 400, None),
    ([], 400, None),  # a JSON array where an object is expected is not the request's shape
]


def test_bad_sign_in_requests_get_a_clear_4xx_and_count_nothing(session):
    json_type = {"content-type": "application/json"}
    for body, status, field in BAD_SIGN_INS:
        reply = (session.request("POST", "/api/session", body=body, headers=json_type) if isinstance(body, str)
                 else session.post("/api/session", body))
        assert reply.status == status, body
        payload = reply.json()
        assert payload["message"] and payload["error"] and "Cognito" not in payload["message"], body
        if field:
            assert field in payload["fields"], body
    assert session.waits == []  # not a refused attempt: nothing counted, no padding


def test_a_sign_in_from_another_site_or_not_in_json_is_refused(session, ana):
    body = '{"email": "%s", "password": "%s"}' % (ANA, STAFF_PASSWORD)
    cross = session.request("POST", "/api/session", body=body,
                            headers={"content-type": "application/json", "origin": "https://evil.example"})
    assert cross.status == 403 and cross.json()["error"] == "cross_site" and cross.cookies == []
    fetched = session.request("POST", "/api/session", body=body,
                              headers={"content-type": "application/json", "sec-fetch-site": "cross-site"})
    assert fetched.status == 403
    plain = session.request("POST", "/api/session", body=body, headers={"content-type": "text/plain"})
    assert plain.status == 415 and plain.cookies == []
    own = session.request("POST", "/api/session", body=body,
                          headers={"content-type": "application/json", "origin": f"https://{HOST}", "sec-fetch-site": "same-origin"})
    assert own.status == 200 and own.cookies


def test_a_role_is_needed_for_a_staff_route(function, sign_in):
    """One example (the full table is tests/handlers/test_staff_roles.py)."""
    board = function("dispatch-board")
    assert board.get("/api/jobs", headers={"cookie": sign_in("loyalty-desk")}).status == 403
    assert board.get("/api/jobs", headers={"cookie": sign_in("dispatch")}).status == 200
    assert board.get("/api/jobs", headers={"cookie": sign_in("owner")}).status == 200
    assert board.get("/api/jobs").status == 401


# The site's bucket behaviours fail over to this function when S3 has no such page (an origin
# group: components/blocks/site/cdn.py), so any other GET/HEAD path is answered with the 404 page.
SITE_404 = harness.ROOT / "site" / "_shared" / "404.html"


@pytest.mark.parametrize("path", ["/no/such/page.html", "/g/-not-a-guest-code-.html", "/referrals/index.html", "/"])
def test_any_other_path_gets_the_sites_404_page_with_status_404(session, path):
    reply = session.get(path)
    assert reply.status == 404
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reply.text == SITE_404.read_text()
    # Cached briefly, as the old error response was (10 s): a guest page written a moment after
    # someone asked for it appears within seconds.
    assert reply.headers["Cache-Control"] == "public, max-age=10"
    assert reply.cookies == []


def test_a_head_on_a_missing_page_is_a_404_too(session):
    reply = session.request("HEAD", "/no/such/page.html")
    assert reply.status == 404 and reply.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_on_other_paths_stay_a_json_404(session, method):
    reply = session.request(method, "/no/such/page.html", body="{}", headers={"content-type": "application/json"})
    assert reply.status == 404
    assert reply.json() == {"error": "not_found", "message": "There is nothing at this address.", "fields": {}}


def test_the_session_route_itself_never_answers_the_404_page(session):
    reply = session.request("HEAD", "/api/session")
    assert reply.status == 404 and reply.json()["error"] == "not_found"


def test_the_404_page_still_needs_the_origin_header(session):
    reply = session.get("/no/such/page.html", origin=False)
    assert reply.status == 403 and reply.json()["error"] == "forbidden"


def test_the_packaged_404_page_is_the_sites_own():
    """The function reads the page the sites publish at /shared/404.html, packaged with it at the
    same path relative to the code as in the repository."""
    from components.stack.packaging import artifact_files

    page = artifact_files("shared")["site/_shared/404.html"]
    assert page.read_bytes() == SITE_404.read_bytes()


@pytest.mark.parametrize("change", ["disable", "roles"])
def test_a_sign_in_overtaken_by_an_account_change_gets_no_session(session, ana, staff_account, aws, monkeypatch, change):
    """Cognito said yes, then the owner disabled the account (or changed its roles) before the
    session was written: the state row refuses it, so no session outlives the change."""
    import boto3

    from handlers.shared import directory

    table = aws.named("aws:dynamodb/table:Table", "staff-sessions").inputs["name"]
    real = session.module.auth.start_session

    def overtaken(*args, **kwargs):
        dynamodb = boto3.client("dynamodb", region_name="us-west-2")
        if change == "disable":
            directory.disable(staff_account.directory, dynamodb, table, ana)
        else:
            directory.set_roles(staff_account.directory, dynamodb, table, ana, ["dispatch"])
        return real(*args, **kwargs)

    monkeypatch.setattr(session.module.auth, "start_session", overtaken)
    reply = sign_in(session)
    assert reply.status == 409 and reply.json()["error"] == "sign_in_again" and reply.cookies == []
    assert session_rows(aws) == []
    monkeypatch.setattr(session.module.auth, "start_session", real)
    if change == "roles":  # signing in again gets the new roles
        assert sign_in(session).json()["roles"] == ["dispatch"]


def test_guesses_sent_all_at_once_reach_cognito_no_more_than_the_limit(on_dynamodb_local, session, ana, monkeypatch):
    """Attempts are counted before Cognito is asked: twelve guesses in parallel, only five asked
    (on DynamoDB Local: moto's in-process tables do not make a conditional update atomic)."""
    from concurrent.futures import ThreadPoolExecutor

    from handlers.shared.aws import client

    cognito = client("cognito-idp")
    asked, real = [], cognito.initiate_auth
    monkeypatch.setattr(cognito, "initiate_auth", lambda **kw: (asked.append(1), real(**kw))[1])
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda n: sign_in(session, password=f"guess {n}").status, range(12)))
    assert len(asked) <= lockout.ACCOUNT_LIMIT
    assert statuses.count(401) == len(asked) and statuses.count(429) == 12 - len(asked)
    assert sign_in(session).status == 429  # the right password waits too


def test_a_locked_account_can_still_reset_and_the_reset_lifts_the_lock(session, ana):
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    for _ in range(lockout.ACCOUNT_LIMIT):
        sign_in(session, password="guess")
    locked = sign_in(session)
    assert locked.status == 429 and "reset your password" in locked.json()["message"]
    assert session.post("/api/session/reset", {"email": ANA}).status == 202
    backend = cognitoidp_backends[DEFAULT_ACCOUNT_ID]["us-west-2"]
    code = next(u.confirmation_code for p in backend.user_pools.values() for u in p.users.values() if u.confirmation_code)
    assert session.post("/api/session/reset/confirm", {"email": ANA, "code": code, "new_password": "the owner's new phrase"}).status == 200
    assert sign_in(session, password="the owner's new phrase").status == 200


def test_reset_requests_are_limited_and_say_so_without_pointing_at_a_reset(session, ana):
    for _ in range(lockout.RESET_LIMIT):
        assert session.post("/api/session/reset", {"email": ANA}).status == 202
    refused = session.post("/api/session/reset", {"email": ANA})
    assert refused.status == 429 and "reset" not in refused.json()["message"] and int(refused.headers["Retry-After"]) > 0
    # Another address from another client is not held up.
    other = session.post("/api/session/reset", {"email": "someone@staff.example"},
                         headers={"cloudfront-viewer-address": "203.0.113.9:4000"})
    assert other.status == 202


def test_wrong_codes_lock_resets_not_sign_in(session, ana):
    for _ in range(lockout.RESET_LIMIT):
        reply = session.post("/api/session/reset/confirm", {"email": ANA, "code": "moto-confirmation-code:000000",
                                                            "new_password": "another long passphrase"})
        assert reply.status == 400
    assert session.post("/api/session/reset/confirm", {"email": ANA, "code": "moto-confirmation-code:000001",
                                                       "new_password": "another long passphrase"}).status == 429
    assert sign_in(session).status == 200


def test_the_owners_get_one_lockout_mail_per_window_however_many_accounts_lock(session, staff_cookie, sent_mail):
    before = len(sent_mail())
    for n in range(3):
        for _ in range(lockout.ACCOUNT_LIMIT):
            session.post("/api/session", {"email": f"made-up-{n}@staff.example", "password": "guess"},
                         headers={"cloudfront-viewer-address": f"203.0.113.{n}:1"})
    assert len(sent_mail()) - before == 1


def test_a_lockout_mail_that_fails_does_not_fail_the_answer(session, ana, staff_cookie, monkeypatch):
    from handlers.shared import mail

    def broken(**_):
        raise RuntimeError("SES is down")

    monkeypatch.setattr(mail, "send", broken)
    statuses = [sign_in(session, password="guess").status for _ in range(lockout.ACCOUNT_LIMIT)]
    assert statuses == [401] * lockout.ACCOUNT_LIMIT


def test_cognito_throttling_is_a_429_and_counts_for_nobody(session, ana, monkeypatch):
    from botocore.exceptions import ClientError

    from handlers.shared.aws import client

    def throttled(**_):
        raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}}, "InitiateAuth")

    monkeypatch.setattr(client("cognito-idp"), "initiate_auth", throttled)
    reply = sign_in(session)
    assert reply.status == 429 and reply.json()["error"] == "busy" and reply.headers["Retry-After"] == "60"
    assert "Rate exceeded" not in reply.text


def test_a_new_password_the_pool_would_refuse_is_refused_before_cognito_is_asked(session, ana):
    for new_password in ("short", " padded passphrase ", "trailing spaces here   "):
        for path, body in (("/api/session", {"email": ANA, "password": STAFF_PASSWORD, "new_password": new_password}),
                           ("/api/session/reset/confirm", {"email": ANA, "code": "123456", "new_password": new_password})):
            reply = session.post(path, body)
            assert reply.status == 422 and reply.json()["error"] == "weak_password", (path, new_password, reply.text)
    assert session.waits == []


def test_an_address_longer_than_cognito_takes_is_a_422(session):
    long = "a" * 120 + "@staff.example"
    for path, body in (("/api/session", {"email": long, "password": "x"}), ("/api/session/reset", {"email": long})):
        reply = session.post(path, body)
        assert reply.status == 422 and "email" in reply.json()["fields"]
