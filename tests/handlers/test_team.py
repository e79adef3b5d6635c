"""The owner's staff page API (handlers/shared/team.py, function `staff-team`): accounts in the
stack's Cognito user pool, their roles, and who is signed in. Owners only."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, strategies as st

from handlers.shared import auth
from tests.handlers.badinput import EXAMPLES, bad_requests, generated, path_segments, refused_cleanly
from tests.handlers.conftest import HOST, STAFF_PASSWORD, boto3_client

OTHER_ID = "0f0f0f0f-1111-4222-8333-444455556666"  # well-formed, nobody's


@pytest.fixture
def team(function):
    return function("staff-team")


@pytest.fixture
def session(function):
    client = function("staff-session")
    client.module.sleep = lambda seconds: None  # refusals are padded to a second; not the point here
    return client


@pytest.fixture
def pool(aws):
    return aws.replaced_ids[aws.named("aws:cognito/userPool:UserPool", "staff").id]


def cognito_user(pool: str, email: str) -> dict | None:
    users = boto3_client("cognito-idp").list_users(UserPoolId=pool, Filter=f'email = "{email}"')["Users"]
    return users[0] if users else None


def groups_of(pool: str, username: str) -> list[str]:
    groups = boto3_client("cognito-idp").admin_list_groups_for_user(UserPoolId=pool, Username=username)["Groups"]
    return sorted(g["GroupName"] for g in groups)


def board(function, cookie: str) -> int:
    """The status a staff route answers this cookie with (dispatch's board admits dispatch and owners)."""
    return function("dispatch-board").get("/api/jobs", headers={"cookie": cookie}).status


def listing(team, cookie) -> dict:
    reply = team.get("/api/staff", headers={"cookie": cookie})
    assert reply.status == 200, reply.text
    return reply.json()


def person(listed: dict, email: str) -> dict:
    [found] = [a for a in listed["staff"] if a["email"] == email]
    return found


def test_the_owner_sees_everyone_and_who_is_signed_in_with_their_own_session_marked(team, staff_cookie, sign_in):
    dispatch_cookie = sign_in("dispatch", email="dee@staff.example", name="Dee Dispatch")
    listed = listing(team, staff_cookie)
    assert listed["roles"] == list(auth.ROLES)
    owner, dee = person(listed, "owner@staff.example"), person(listed, "dee@staff.example")
    assert listed["me"] == owner["id"]
    assert owner | {"created_at": ""} == {"id": owner["id"], "email": "owner@staff.example", "name": "Olive Owner",
                                          "enabled": True, "invited": False, "roles": ["owner"], "created_at": ""}
    assert owner["created_at"] and dee["roles"] == ["dispatch"] and dee["enabled"]
    sessions = {s["user_id"]: s for s in listed["sessions"]}
    assert set(sessions) == {owner["id"], dee["id"]}
    assert sessions[owner["id"]]["current"] is True and sessions[dee["id"]]["current"] is False
    mine = sessions[owner["id"]]
    assert mine["name"] == "Olive Owner" and mine["email"] == "owner@staff.example"
    assert mine["address"] == "198.51.100.7" and "iPhone" in mine["agent"] and mine["created_at"]
    assert dispatch_cookie  # Dee's session is the other one listed


def test_adding_a_person_creates_their_account_with_the_roles_and_cognito_mails_them(team, staff_cookie, pool):
    reply = team.post("/api/staff", {"email": "Nia@Staff.Example", "name": "  Nia  Referrals ", "roles": ["referrals", "charters"]},
                      headers={"cookie": staff_cookie})
    assert reply.status == 201, reply.text
    account = reply.json()["account"]
    assert account["email"] == "nia@staff.example" and account["name"] == "Nia Referrals"
    assert account["roles"] == ["charters", "referrals"] and account["invited"] is True and account["enabled"] is True
    user = cognito_user(pool, "nia@staff.example")
    assert user["Username"] == account["id"] and user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert groups_of(pool, account["id"]) == ["charters", "referrals"]
    assert person(listing(team, staff_cookie), "nia@staff.example")["invited"] is True


def test_a_second_add_of_the_same_address_is_refused_and_changes_nothing(team, staff_cookie, pool):
    first = team.post("/api/staff", {"email": "nia@staff.example", "name": "Nia", "roles": ["referrals"]},
                      headers={"cookie": staff_cookie})
    assert first.status == 201
    for again in ({"email": "nia@staff.example", "name": "Nia", "roles": ["referrals"]},
                  {"email": "NIA@staff.example", "name": "Someone Else", "roles": ["owner"]}):
        reply = team.post("/api/staff", again, headers={"cookie": staff_cookie})
        assert reply.status == 409 and reply.json()["error"] == "already_staff", reply.text
        assert "nia@staff.example" in reply.json()["message"].lower()
    listed = listing(team, staff_cookie)
    assert [a["email"] for a in listed["staff"]].count("nia@staff.example") == 1
    nia = person(listed, "nia@staff.example")
    assert nia["name"] == "Nia" and nia["roles"] == ["referrals"]
    # A disabled account is not added afresh either: the answer says to re-enable it.
    assert team.post(f"/api/staff/{nia['id']}/disable", headers={"cookie": staff_cookie}).status == 200
    reply = team.post("/api/staff", {"email": "nia@staff.example", "name": "Nia", "roles": ["referrals"]},
                      headers={"cookie": staff_cookie})
    assert reply.status == 409 and reply.json()["error"] == "already_staff" and "re-enable" in reply.json()["message"]


BAD_NEW_STAFF = [
    ({"email": "x@staff.example", "name": "X", "roles": ["janitor"]}, "roles"),
    ({"email": "x@staff.example", "name": "X", "roles": []}, "roles"),
    ({"email": "x@staff.example", "name": "X"}, "roles"),
    ({"email": "x@staff.example", "name": "X", "roles": "owner"}, "roles"),
    ({"email": "not an address", "name": "X", "roles": ["dispatch"]}, "email"),
    ({"email": "x@staff.example", "name": "X" * 81, "roles": ["dispatch"]}, "name"),
    ({"email": "x@staff.example", "name": "   ", "roles": ["dispatch"]}, "name"),
    ({"email": "x@staff.example", "name": "\u200b", "roles": ["dispatch"]}, "name"),
    ({"email": "x@staff.example", "name": "X\u0000Y", "roles": ["dispatch"]}, "name"),
    ({"email": "x@staff.example", "name": "X", "roles": ["dispatch"], "password": "chosen by the owner"}, "password"),
    ({"email": "x@staff.example", "name": "X", "roles": ["dispatch"], "enabled": False}, "enabled"),
]


def test_bad_new_staff_bodies_are_refused_in_words_and_nothing_is_created(team, staff_cookie, pool):
    # One stack for every case: each is refused before anything is written, so none sees another's.
    for sent, field in BAD_NEW_STAFF:
        reply = team.post("/api/staff", sent, headers={"cookie": staff_cookie})
        assert reply.status == 422, (sent, reply.text)
        assert reply.json()["message"] and [f for f in reply.json()["fields"] if f.split(".")[0] == field], sent
        assert cognito_user(pool, "x@staff.example") is None, sent


@bad_requests(fields=("email", "name", "roles"), examples=40)
def test_generated_garbage_for_new_staff_is_a_4xx_and_creates_nobody(team, staff_cookie, pool, request):
    before = [u["Username"] for u in boto3_client("cognito-idp").list_users(UserPoolId=pool)["Users"]]
    reply = team.request("POST", "/api/staff", headers={"cookie": staff_cookie, **request.pop("headers")}, **request)
    refused_cleanly(reply)
    assert [u["Username"] for u in boto3_client("cognito-idp").list_users(UserPoolId=pool)["Users"]] == before


def test_changing_roles_takes_effect_and_ends_that_persons_sessions(function, team, staff_cookie, sign_in, pool):
    dee_cookie = sign_in("dispatch", email="dee@staff.example", name="Dee")
    assert board(function, dee_cookie) == 200
    dee = person(listing(team, staff_cookie), "dee@staff.example")
    reply = team.request("PUT", f"/api/staff/{dee['id']}/roles", json_body={"roles": ["referrals", "loyalty-desk"]},
                         headers={"cookie": staff_cookie})
    assert reply.status == 200, reply.text
    assert reply.json()["account"]["roles"] == ["loyalty-desk", "referrals"]
    assert groups_of(pool, dee["id"]) == ["loyalty-desk", "referrals"]
    assert board(function, dee_cookie) == 401  # the old session carried the old roles: it is gone
    assert not [s for s in listing(team, staff_cookie)["sessions"] if s["user_id"] == dee["id"]]
    again = sign_in("dispatch", email="dee@staff.example")  # signs in afresh, with the new roles
    assert board(function, again) == 403
    assert board(function, staff_cookie) == 200  # the owner's own session is untouched


def test_setting_the_same_roles_again_keeps_the_sessions(function, team, staff_cookie, sign_in):
    dee_cookie = sign_in("dispatch", email="dee@staff.example", name="Dee")
    dee = person(listing(team, staff_cookie), "dee@staff.example")
    reply = team.request("PUT", f"/api/staff/{dee['id']}/roles", json_body={"roles": ["dispatch"]}, headers={"cookie": staff_cookie})
    assert reply.status == 200 and reply.json()["account"]["roles"] == ["dispatch"]
    assert board(function, dee_cookie) == 200


def test_bad_role_changes_are_refused_and_change_nothing(function, team, staff_cookie, sign_in, pool):
    dee_cookie = sign_in("dispatch", email="dee@staff.example", name="Dee")
    dee = person(listing(team, staff_cookie), "dee@staff.example")
    for sent in ({"roles": []}, {"roles": ["janitor"]}, {"roles": "dispatch"}, {}, {"roles": ["dispatch"], "enabled": True}):
        reply = team.request("PUT", f"/api/staff/{dee['id']}/roles", json_body=sent, headers={"cookie": staff_cookie})
        assert reply.status == 422 and reply.json()["message"], (sent, reply.text)
        assert groups_of(pool, dee["id"]) == ["dispatch"] and board(function, dee_cookie) == 200, sent


def test_disabling_ends_every_session_at_once_and_refuses_sign_in_like_a_wrong_password(function, team, staff_cookie, sign_in,
                                                                                          session):
    phone = sign_in("dispatch", email="dee@staff.example", name="Dee")
    laptop = sign_in("dispatch", email="dee@staff.example")
    copied = phone  # a cookie copied elsewhere is the same session
    dee = person(listing(team, staff_cookie), "dee@staff.example")
    assert board(function, phone) == board(function, laptop) == 200
    reply = team.post(f"/api/staff/{dee['id']}/disable", headers={"cookie": staff_cookie})
    assert reply.status == 200 and reply.json()["account"]["enabled"] is False
    assert board(function, phone) == board(function, laptop) == board(function, copied) == 401
    assert not [s for s in listing(team, staff_cookie)["sessions"] if s["user_id"] == dee["id"]]
    refused = session.post("/api/session", {"email": "dee@staff.example", "password": STAFF_PASSWORD})
    wrong = session.post("/api/session", {"email": "owner@staff.example", "password": "not the password at all"})
    assert refused.status == wrong.status == 401 and refused.cookies == []
    assert refused.json() == wrong.json() and refused.json()["error"] == "sign_in_refused"
    assert person(listing(team, staff_cookie), "dee@staff.example")["enabled"] is False
    # Disabling twice is done too.
    assert team.post(f"/api/staff/{dee['id']}/disable", headers={"cookie": staff_cookie}).status == 200

    enabled = team.post(f"/api/staff/{dee['id']}/enable", headers={"cookie": staff_cookie})
    assert enabled.status == 200 and enabled.json()["account"]["enabled"] is True
    back = session.post("/api/session", {"email": "dee@staff.example", "password": STAFF_PASSWORD})
    assert back.status == 200, back.text
    assert board(function, back.cookies[0].split(";")[0]) == 200
    assert team.post(f"/api/staff/{dee['id']}/enable", headers={"cookie": staff_cookie}).status == 200


def test_generated_garbage_for_a_role_change_is_a_4xx_and_changes_nothing(function, team, staff_cookie, sign_in, pool):
    dee_cookie = sign_in("dispatch", email="dee@staff.example", name="Dee")
    dee = person(listing(team, staff_cookie), "dee@staff.example")["id"]

    @bad_requests(fields=("roles",), examples=EXAMPLES)
    def run(request):
        reply = team.request("PUT", f"/api/staff/{dee}/roles", headers={"cookie": staff_cookie, **request.pop("headers")}, **request)
        refused_cleanly(reply)
        assert groups_of(pool, dee) == ["dispatch"]

    run()
    assert board(function, dee_cookie) == 200


def test_generated_ids_in_paths_are_refused_and_change_nothing(function, team, staff_cookie, sign_in, pool):
    dee_cookie = sign_in("dispatch", email="dee@staff.example", name="Dee")
    dee = person(listing(team, staff_cookie), "dee@staff.example")["id"]
    # As a client may send them: percent-encoded, or raw (a "/" then misses the route).
    segments = st.one_of(path_segments.map(lambda s: quote(s, safe="")), path_segments,
                         st.text(alphabet="0123456789abcdef-", min_size=35, max_size=37))

    @generated(EXAMPLES)
    @given(segment=segments, route=st.sampled_from(["roles", "disable", "enable", "session"]))
    def run(segment, route):
        if route == "session":
            reply = team.request("DELETE", f"/api/staff/{OTHER_ID}/sessions/{segment}", headers={"cookie": staff_cookie})
        elif route == "roles":
            reply = team.request("PUT", f"/api/staff/{segment}/roles", json_body={"roles": ["owner"]}, headers={"cookie": staff_cookie})
        else:
            reply = team.post(f"/api/staff/{segment}/{route}", headers={"cookie": staff_cookie})
        assert reply.status < 500, (segment, route, reply.text)
        if reply.status != 200:  # a segment may still happen to name a session: ending none is done too
            refused_cleanly(reply)

    run()
    assert groups_of(pool, dee) == ["dispatch"] and board(function, dee_cookie) == 200
    assert person(listing(team, staff_cookie), "dee@staff.example")["enabled"] is True


def test_the_owner_cannot_lock_themselves_out(function, team, staff_cookie, sign_in, pool):
    elsewhere = sign_in("owner", email="owner@staff.example")  # the owner's phone
    me = listing(team, staff_cookie)["me"]
    disabled = team.post(f"/api/staff/{me}/disable", headers={"cookie": staff_cookie})
    assert disabled.status == 409 and disabled.json()["error"] == "own_account" and disabled.json()["message"]
    demoted = team.request("PUT", f"/api/staff/{me}/roles", json_body={"roles": ["dispatch"]}, headers={"cookie": staff_cookie})
    assert demoted.status == 409 and demoted.json()["error"] == "own_owner_role" and demoted.json()["message"]
    assert groups_of(pool, me) == ["owner"] and board(function, staff_cookie) == 200
    # Adding roles to one's own account keeps the owner role, so it is allowed; the page it was
    # done from stays signed in, the owner's other sessions end as anyone's would.
    more = team.request("PUT", f"/api/staff/{me}/roles", json_body={"roles": ["owner", "dispatch"]}, headers={"cookie": staff_cookie})
    assert more.status == 200 and more.json()["account"]["roles"] == ["dispatch", "owner"]
    assert board(function, staff_cookie) == 200 and board(function, elsewhere) == 401


def test_one_session_can_be_ended_from_the_list_and_ending_it_again_is_done_too(function, team, staff_cookie, sign_in):
    phone = sign_in("dispatch", email="dee@staff.example", name="Dee")
    laptop = sign_in("dispatch", email="dee@staff.example")
    dee = person(listing(team, staff_cookie), "dee@staff.example")
    theirs = [s for s in listing(team, staff_cookie)["sessions"] if s["user_id"] == dee["id"]]
    assert len(theirs) == 2
    # Sessions are listed newest first: the laptop's is the first.
    ended = theirs[0]["session_id"]
    for _ in range(2):
        reply = team.request("DELETE", f"/api/staff/{dee['id']}/sessions/{ended}", headers={"cookie": staff_cookie})
        assert reply.status == 200 and reply.json() == {"ended": True}
    left = [s["session_id"] for s in listing(team, staff_cookie)["sessions"] if s["user_id"] == dee["id"]]
    assert left == [theirs[1]["session_id"]]
    assert sorted([board(function, phone), board(function, laptop)]) == [200, 401]


@pytest.mark.parametrize("role", ["dispatch", "charters", "referrals", "loyalty-desk"])
def test_every_staff_route_is_for_owners_only(team, sign_in, staff_account, role, pool):
    cookie = sign_in(role)
    victim = staff_account("vic@staff.example", "Vic", ["dispatch"])
    sid = "A" * 32
    for method, path, body in [("GET", "/api/staff", None),
                               ("POST", "/api/staff", {"email": "new@staff.example", "name": "New", "roles": ["owner"]}),
                               ("PUT", f"/api/staff/{victim}/roles", {"roles": ["owner"]}),
                               ("POST", f"/api/staff/{victim}/disable", None),
                               ("POST", f"/api/staff/{victim}/enable", None),
                               ("DELETE", f"/api/staff/{victim}/sessions/{sid}", None)]:
        reply = team.request(method, path, json_body=body, headers={"cookie": cookie})
        assert reply.status == 403 and reply.json()["error"] == "forbidden", (method, path, reply.text)
        anonymous = team.request(method, path, json_body=body)
        assert anonymous.status == 401 and anonymous.json()["error"] == "unauthorized", (method, path)
    assert cognito_user(pool, "new@staff.example") is None
    assert groups_of(pool, victim) == ["dispatch"]


@pytest.mark.parametrize("bad", ["nobody", "0F0F0F0F-1111-4222-8333-444455556666", "..%2f..", "a" * 300, OTHER_ID])
def test_malformed_or_unknown_account_ids_are_404(team, staff_cookie, bad):
    for method, path, body in [("PUT", f"/api/staff/{bad}/roles", {"roles": ["dispatch"]}),
                               ("POST", f"/api/staff/{bad}/disable", None),
                               ("POST", f"/api/staff/{bad}/enable", None)]:
        reply = team.request(method, path, json_body=body, headers={"cookie": staff_cookie})
        assert reply.status == 404 and reply.json()["error"] == "not_found", (method, path, reply.text)


@pytest.mark.parametrize("bad", ["short", "A" * 31 + "!", "A" * 33, "x" * 300])
def test_malformed_session_ids_are_404(team, staff_cookie, bad):
    reply = team.request("DELETE", f"/api/staff/{OTHER_ID}/sessions/{bad}", headers={"cookie": staff_cookie})
    assert reply.status == 404 and reply.json()["error"] == "not_found", reply.text
    reply = team.request("DELETE", f"/api/staff/{bad}/sessions/{'A' * 32}", headers={"cookie": staff_cookie})
    assert reply.status == 404 and reply.json()["error"] == "not_found", reply.text


def test_the_last_owner_can_be_neither_disabled_nor_demoted_even_from_a_terminal(team, staff_cookie, staff_account, aws):
    """The terminal (ops staff) acts as nobody, so "not yourself" does not stop it: this does."""
    import boto3

    from handlers.shared import directory

    table = aws.named("aws:dynamodb/table:Table", "staff-sessions").inputs["name"]
    dynamodb = boto3.client("dynamodb", region_name="us-west-2")
    olive = staff_account.directory.find("owner@staff.example").id
    for change in (lambda: directory.disable(staff_account.directory, dynamodb, table, olive),
                   lambda: directory.set_roles(staff_account.directory, dynamodb, table, olive, ["dispatch"])):
        with pytest.raises(directory.DirectoryError) as refused:
            change()
        assert refused.value.status == 409 and refused.value.error == "last_owner"
    # With a second owner, either may go.
    second = staff_account("second@staff.example", "Sam", ["owner"])
    assert directory.disable(staff_account.directory, dynamodb, table, olive).enabled is False
    with pytest.raises(directory.DirectoryError):
        directory.disable(staff_account.directory, dynamodb, table, second)


def test_someone_who_never_signed_in_gets_a_new_invitation_that_works(team, session, staff_cookie, staff_account, sent_mail):
    import re

    invited = staff_account("late@staff.example", "Lee Late", ["dispatch"], password=None)  # Cognito's invitation only
    before = len(sent_mail())
    reply = team.post(f"/api/staff/{invited}/invite", headers={"cookie": staff_cookie})
    assert reply.status == 200 and reply.json()["message"] == "A new invitation is on its way to late@staff.example."
    [mail] = sent_mail()[before:]
    assert "late@staff.example" in mail.subject or "late@staff.example" in mail.body  # the sandbox redirect names them
    password = re.search(r"temporary password: (?:<code>)?([A-Za-z0-9-]+)", mail.body).group(1)
    assert f"https://{HOST}/" in mail.body
    first = session.post("/api/session", {"email": "late@staff.example", "password": password})
    assert first.status == 409 and first.json()["error"] == "new_password_required"


def test_a_new_invitation_is_only_for_someone_who_has_not_signed_in(team, staff_cookie, staff_account, sent_mail):
    active = staff_account("ana@staff.example", "Ana", ["dispatch"])
    before = len(sent_mail())
    reply = team.post(f"/api/staff/{active}/invite", headers={"cookie": staff_cookie})
    assert reply.status == 409 and reply.json()["error"] == "already_active" and "Forgot password" in reply.json()["message"]
    assert team.post(f"/api/staff/{OTHER_ID}/invite", headers={"cookie": staff_cookie}).status == 404
    assert len(sent_mail()) == before
