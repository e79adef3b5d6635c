"""Origin request policies are an account-wide quota: 20 custom ones per AWS account (CloudFront's
quotas page, "Custom origin request policies per AWS account"; managed policies do not count).
dev and prod must both fit in one account, so a stack makes one policy per distinct forwarding and
shares it between sites and routes, while each behaviour still forwards exactly what its route's
`Forward` says: nothing a function needs is dropped, nothing it does not need is added."""

from __future__ import annotations

import pytest

from components.blocks.site import cdn
from components.blocks.site.routes import Forward
from components.blocks.site.site import Site
from ops import harness
from ops.local.frontdoor import _forwarding
from tests.components.graphs import DISTRIBUTION, request_policy

ORIGIN_REQUEST_POLICY = "aws:cloudfront/originRequestPolicy:OriginRequestPolicy"
ACCOUNT_QUOTA = 20
PER_STACK = 8  # leaves room for the other stack, and a little more
STACKS = ("dev", "prod")


@pytest.fixture(scope="module")
def declared() -> dict[str, tuple[harness.Graph, dict[tuple[str, str], object]]]:
    """Each stack's graph, with every route the program declared: (site, path) → Route."""
    runs = {}
    original = Site.route
    for stack in STACKS:
        routes: dict[tuple[str, str], object] = {}

        def recording(self, path, function=None, *, routes=routes, **kwargs):
            original(self, path, function, **kwargs)
            routes[(self.logical_name, path)] = self.routes.items[-1]

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Site, "route", recording)
            graph = harness.run(stack)
        assert routes, f"{stack}: no route was recorded"
        runs[stack] = (graph, routes)
    return runs


def configuration(policy) -> tuple:
    inputs = policy.inputs
    headers = inputs["headersConfig"]
    cookies = inputs["cookiesConfig"]
    return (
        headers["headerBehavior"], tuple(sorted(h.lower() for h in headers.get("headers", {}).get("items", []))),
        cookies["cookieBehavior"], tuple(sorted(cookies.get("cookies", {}).get("items", []))),
        inputs["queryStringsConfig"]["queryStringBehavior"],
    )


@pytest.mark.parametrize("stack", STACKS)
def test_a_stack_declares_few_origin_request_policies_each_one_distinct(declared, stack):
    graph, _ = declared[stack]
    policies = graph.of_type(ORIGIN_REQUEST_POLICY)
    assert len(policies) <= PER_STACK, [p.name for p in policies]
    seen: dict[tuple, str] = {}
    for policy in policies:
        config = configuration(policy)
        assert config not in seen, f"{policy.name} forwards what {seen[config]} already forwards"
        seen[config] = policy.name


def test_dev_and_prod_fit_in_one_accounts_quota_with_names_apart(declared):
    names = [p.inputs["name"] for stack in STACKS for p in declared[stack][0].of_type(ORIGIN_REQUEST_POLICY)]
    assert len(names) <= ACCOUNT_QUOTA, len(names)
    assert len(set(names)) == len(names), "two policies share a name: the second stack's `pulumi up` would fail"


def test_policy_names_follow_from_what_they_forward():
    staff = Forward(headers=("Content-Type", "Origin"), cookies=("ms_staff",))
    assert cdn.request_policy_name(staff) == cdn.request_policy_name(Forward(headers=("origin", "Content-Type"), cookies=("ms_staff",)))
    others = [Forward(headers=("Content-Type", "Origin")), Forward(headers=("Content-Type", "Origin"), cookies=("ms_staff",), query_strings=False),
              Forward(headers=("Content-Type",), cookies=("ms_staff",))]
    assert len({cdn.request_policy_name(f) for f in [staff, *others]}) == 4


def expected(forward: Forward) -> tuple:
    return ({h.lower() for h in forward.all_headers}, set(forward.cookies) or "none", "all" if forward.query_strings else "none")


@pytest.mark.parametrize("stack", STACKS)
def test_every_behaviour_forwards_exactly_what_its_route_says(declared, stack):
    """On AWS (the policy's own configuration) and in local mode (what the front door reads)."""
    graph, routes = declared[stack]
    checked = 0
    for distribution in graph.of_type(DISTRIBUTION):
        ordered = distribution.inputs.get("orderedCacheBehaviors", [])
        assert len(ordered) == sum(1 for site, _ in routes if site == distribution.name), distribution.name
        for behaviour in ordered:
            route = routes[(distribution.name, behaviour["pathPattern"])]
            policy_id = behaviour.get("originRequestPolicyId")
            if route.function is None:
                assert not policy_id, (distribution.name, route.path)
                continue
            policy = request_policy(graph, policy_id)
            headers, cookies, query = expected(route.forward)
            assert policy["headersConfig"]["headerBehavior"] == "whitelist"
            assert {h.lower() for h in policy["headersConfig"]["headers"]["items"]} == headers, route.path
            if cookies == "none":
                assert policy["cookiesConfig"]["cookieBehavior"] == "none", route.path
            else:
                assert policy["cookiesConfig"]["cookieBehavior"] == "whitelist", route.path
                assert set(policy["cookiesConfig"]["cookies"]["items"]) == cookies, route.path
            assert policy["queryStringsConfig"]["queryStringBehavior"] == query, route.path
            local = _forwarding(graph, policy_id)
            assert (local.headers, local.cookies, local.query) == (headers, cookies, query), route.path
            checked += 1
    assert checked >= 10, checked  # every system's function routes, not a vacuous pass
