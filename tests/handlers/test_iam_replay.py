"""The handler tests' IAM replay (conftest's iam_replay, ops.iam) catches a call a function's
role lacks, attributes calls to the function that makes them (also across a Lambda invoke), and
fails a test even when the handler swallows the denial."""

from __future__ import annotations

import pytest

from tests.handlers.test_loyalty import HOST as LOYALTY_HOST, sale, signed

HOST = "dispatch.example.test"


def _without(documents: list[dict], resource_part: str) -> list[dict]:
    """The documents with every statement naming a resource containing `resource_part` dropped."""
    kept = []
    for document in documents:
        statements = [s for s in document["Statement"] if not any(resource_part in r for r in
                                                                   ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]))]
        kept.append({**document, "Statement": statements})
    return kept


def test_a_call_the_role_lacks_fails_with_the_action_and_resource(function, staff_cookie, iam_replay):
    board = function("dispatch-board")
    fn = iam_replay.stack.functions["dispatch-board"]
    listed = board.get("/api/jobs", headers={"cookie": staff_cookie}, query="status=pending_pickup", host=HOST)
    assert listed.status == 200, listed.text
    queried = [r for f, r, _ in iam_replay.log if f == "dispatch-board" and r.action == "dynamodb:Query"]
    assert queried and queried[-1].resource.endswith("table/mainstreet-dev-jobs/index/by-status")
    assert queried[-1].context["dynamodb:LeadingKeys"] == ["pending_pickup"]

    # The board's role as issue 11 found it: the index under the table's statement and key condition.
    table = "arn:aws:dynamodb:us-west-2:123456789012:table/mainstreet-dev-jobs"
    fn.documents = _without(fn.documents, "/index/by-status")
    fn.documents.append({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        "Resource": [table, f"{table}/index/by-status"],
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["JOB#*", "TRACK#*"]}}}]})
    denied = board.get("/api/jobs", headers={"cookie": staff_cookie}, query="status=pending_pickup", host=HOST)
    assert denied.status == 500
    [denial] = iam_replay.denials
    assert denial.function == "dispatch-board" and denial.request.action == "dynamodb:Query"
    assert denial.request.resource == "arn:aws:dynamodb:us-west-2:123456789012:table/mainstreet-dev-jobs/index/by-status"
    iam_replay.denials.clear()  # provoked on purpose: the fixture fails the test on any left


def test_a_denial_the_handler_swallows_is_still_kept(function, iam_replay):
    from botocore.exceptions import ClientError
    from handlers.shared.aws import client

    session = function("staff-session")
    caught = None
    with session.running():
        try:
            client("dynamodb").get_item(TableName="mainstreet-dev-jobs", Key={"pk": {"S": "JOB#1"}})
        except ClientError as exc:  # a handler that hides the error…
            caught = exc
    assert caught is not None and caught.response["Error"]["Code"] == "AccessDeniedException"
    # …still leaves the denial, which the fixture fails the test on.
    assert [str(d.request) for d in iam_replay.denials] == [
        'dynamodb:GetItem on arn:aws:dynamodb:us-west-2:123456789012:table/mainstreet-dev-jobs with {"dynamodb:LeadingKeys": ["JOB#1"]}']
    iam_replay.denials.clear()


def test_the_tests_own_calls_are_not_a_functions(function, iam_replay):
    from handlers.shared.aws import client

    function("staff-session")
    before = iam_replay.checked
    client("dynamodb").get_item(TableName="mainstreet-dev-jobs", Key={"pk": {"S": "JOB#1"}})  # no function running
    assert iam_replay.checked == before


def test_an_invoked_function_runs_with_its_own_role(function, lambda_invokes, iam_replay):
    webhook = function("loyalty-pos-webhook")
    raw, headers = signed(sale())
    reply = webhook.request("POST", "/api/pos/sales", body=raw, headers=headers, host=LOYALTY_HOST)
    assert reply.status == 200, reply.text
    by_function = {}
    for fn, request, _ in iam_replay.log:
        by_function.setdefault(fn, set()).add(request.action)
    assert "lambda:InvokeFunction" in by_function["loyalty-pos-webhook"]
    # The sale is recorded by earn, with earn's role: the webhook's own role holds no table.
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"} & by_function.get("loyalty-earn", set())
    assert not any(action.startswith("dynamodb:") for action in by_function["loyalty-pos-webhook"])


@pytest.mark.iam_unchecked(reason="shows the opt-out itself")
def test_an_opted_out_test_gets_no_replay(iam_replay):
    assert iam_replay is None
