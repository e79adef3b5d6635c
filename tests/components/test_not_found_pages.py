"""A missing page is the site's 404 page, and a function's own 403 or 404 reaches the browser as the
function sent it (issue 11, defect 8).

CloudFront's custom error responses apply to every origin of a distribution, so the old 403→404
page rule also turned a staff API's JSON 403 (`cross_site`, `forbidden`) into the HTML 404 page.
Instead only the bucket behaviours target an origin group: the bucket, then on its 403/404 (a
missing key; CloudFront may not list the bucket) the staff-session function, which answers the
404 page. Function behaviours target their function origin directly.
"""

from __future__ import annotations

from components.blocks.site.routes import PAGES_GROUP, PAGES_ORIGIN
from tests.components.graphs import DISTRIBUTION, behaviours


def origin_groups(distribution) -> dict[str, dict]:
    return {g["originId"]: g for g in distribution.inputs.get("originGroups", [])}


def test_no_distribution_has_custom_error_responses(graph):
    for distribution in graph.of_type(DISTRIBUTION):
        assert not distribution.inputs.get("customErrorResponses"), distribution.name


def test_missing_pages_fail_over_from_the_bucket_to_the_404_origin(graph):
    session_url = graph.named("aws:lambda/functionUrl:FunctionUrl", "staff-session").outputs["functionUrl"]
    session_host = session_url.removeprefix("https://").rstrip("/")
    for distribution in graph.of_type(DISTRIBUTION):
        origins = {o["originId"]: o for o in distribution.inputs["origins"]}
        group = origin_groups(distribution)[PAGES_GROUP]
        primary, secondary = (m["originId"] for m in group["members"])
        assert primary == PAGES_ORIGIN and origins[primary]["originAccessControlId"], distribution.name
        assert origins[secondary]["domainName"] == session_host, distribution.name
        # S3 answers a missing key with 403 (no s3:ListBucket for CloudFront), 404 if it may list.
        assert sorted(group["failoverCriteria"]["statusCodes"]) == [403, 404]


def test_bucket_behaviours_target_the_group_and_function_behaviours_their_function(graph):
    for distribution in graph.of_type(DISTRIBUTION):
        origins = {o["originId"]: o for o in distribution.inputs["origins"]}
        for behaviour in behaviours(distribution):
            target = behaviour["targetOriginId"]
            path = behaviour.get("pathPattern", "*")
            if behaviour.get("originRequestPolicyId"):  # a function route: its function URL, untouched
                assert target in origins and "customOriginConfig" in origins[target], (distribution.name, path)
                assert target not in origin_groups(distribution)
            else:  # the bucket's pages (the default, /g/*, /track/*): through the group
                assert target == PAGES_GROUP, (distribution.name, path)
                # An origin group serves only GET and HEAD (OPTIONS too) behaviours.
                assert set(behaviour["allowedMethods"]) <= {"GET", "HEAD", "OPTIONS"}, (distribution.name, path)
        # The site's bucket is never a behaviour's direct target: a missing page would be S3's 403.
        assert PAGES_ORIGIN not in {b["targetOriginId"] for b in behaviours(distribution)}
