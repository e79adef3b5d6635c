"""Which roles may call each staff route: one table, checked two ways.

ROUTES lists every staff route of every function with the roles it admits (`owner` is admitted
everywhere). The first test reads the routes and their `staff_only` middleware off the handlers
themselves, so a new route, or a changed role, cannot pass unlisted. The second signs in once per
role and calls every route: a role outside the row gets 403 `forbidden`, a role in it gets past the
check (whatever the route then answers to an empty request), nobody signed in gets 401.
"""

from __future__ import annotations

import pytest

from handlers.shared import auth

EVERY_ROLE = auth.ROLES

# function → (method, path as the handler declares it) → roles admitted besides the owner.
ROUTES: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    "dispatch-board": {
        ("GET", "/api/jobs"): ("dispatch",),
        ("POST", "/api/jobs"): ("dispatch",),
        ("POST", "/api/jobs/<job_id>/status"): ("dispatch",),
    },
    "charter-staff": {
        ("GET", "/api/charters/events"): ("charters",),
        ("GET", "/api/charters/events/<event_id>"): ("charters",),
        ("GET", "/api/charters/events/<event_id>/money"): (),  # revenue, the captain's fee, the booking's notes
        ("POST", "/api/charters/events/<event_id>/crew/<crew_id>/revoke"): ("charters",),
        ("POST", "/api/charters/events/<event_id>/crew/<crew_id>/reissue"): ("charters",),
    },
    "referral-api": {
        ("GET", "/api/referrals/stats"): ("referrals",),
        ("GET", "/api/referrals/outreach"): ("referrals",),
        ("POST", "/api/referrals/outreach"): ("referrals",),
        ("GET", "/api/referrals/outreach/<batch_id>"): ("referrals",),
        ("GET", "/api/referrals/outreach/<batch_id>/preview"): ("referrals",),
        ("POST", "/api/referrals/outreach/<batch_id>/approve"): ("referrals",),
    },
    "loyalty-redeem": {
        ("POST", "/api/members/lookup"): ("loyalty-desk",),
        ("POST", "/api/redeem"): ("loyalty-desk",),
        ("POST", "/api/redemptions/<redemption_id>/reverse"): ("loyalty-desk",),
        ("GET", "/api/held"): ("loyalty-desk",),
        ("POST", "/api/held/release"): ("loyalty-desk",),
        ("POST", "/api/held/reject"): ("loyalty-desk",),
        ("POST", "/api/members/enrol"): ("loyalty-desk",),
        ("POST", "/api/members/details"): ("loyalty-desk",),
        ("POST", "/api/members/adjust"): (),  # the owner's alone
    },
    "staff-team": {
        ("GET", "/api/staff"): (),
        ("POST", "/api/staff"): (),
        ("PUT", "/api/staff/<account_id>/roles"): (),
        ("POST", "/api/staff/<account_id>/disable"): (),
        ("POST", "/api/staff/<account_id>/enable"): (),
        ("POST", "/api/staff/<account_id>/invite"): (),
        ("DELETE", "/api/staff/<account_id>/sessions/<session_id>"): (),
    },
}
# Routes of staff functions that are public on purpose.
PUBLIC: dict[str, set[tuple[str, str]]] = {}
# Example values for path parameters: well-formed, so the call reaches the role check.
EXAMPLES = {"<job_id>": "JABCDEFG2", "<event_id>": "E0123456789", "<crew_id>": "c1", "<batch_id>": "B0123456789",
            "<redemption_id>": "R0123456789abcdef", "<account_id>": "00000000-0000-4000-8000-000000000000",
            "<session_id>": "x" * 32}


def declared_routes(module) -> dict[tuple[str, str], tuple[str, ...] | None]:
    """(method, path) → roles its staff_only middleware admits (None: no staff check)."""
    app = module.app
    found = {}
    for route in [*app._static_routes, *app._dynamic_routes]:
        roles = [m.roles for m in route.middlewares or [] if hasattr(m, "roles")]
        found[(route.method.upper(), route.path)] = roles[0] if roles else None
    return found


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_the_table_is_what_each_handler_declares(function, name):
    declared = declared_routes(function(name).module)
    expected = {route: tuple(sorted({*roles, auth.OWNER})) for route, roles in ROUTES[name].items()}
    actual = {route: tuple(sorted(roles)) for route, roles in declared.items() if roles is not None}
    assert actual == expected
    unchecked = {route for route, roles in declared.items() if roles is None}
    assert unchecked == PUBLIC.get(name, set()), f"{name}: routes without a staff check: {sorted(unchecked)}"


def _path(template: str) -> str:
    for placeholder, value in EXAMPLES.items():
        template = template.replace(placeholder, value)
    return template


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_role_is_admitted_exactly_where_the_table_says(function, sign_in, name):
    client = function(name)
    cookies = {role: sign_in(role) for role in EVERY_ROLE}
    for (method, template), roles in ROUTES[name].items():
        path = _path(template)
        body = "{}" if method != "GET" else None
        headers = {"content-type": "application/json"} if body else {}
        nobody = client.request(method, path, body=body, headers=headers)
        assert nobody.status == 401, (method, path)
        for role in EVERY_ROLE:
            reply = client.request(method, path, body=body, headers={**headers, "cookie": cookies[role]})
            if role in roles or role == auth.OWNER:
                assert reply.status not in (401, 403), (method, path, role, reply.status, reply.text[:200])
            else:
                assert reply.status == 403 and reply.json()["error"] == "forbidden", (method, path, role, reply.status)
