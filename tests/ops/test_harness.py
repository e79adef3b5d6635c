"""The harness's mock answers, as a table: what AWS would fill in, per resource type."""

from __future__ import annotations

import pytest

from ops.harness import ACCOUNT_ID, SHAPES, mock_outputs

REGION = "us-west-2"


@pytest.mark.parametrize("typ, inputs, expected_id, expected", [
    ("aws:dynamodb/table:Table", {"name": "ms-dev-jobs"}, "ms-dev-jobs",
     {"arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/ms-dev-jobs",
      "streamArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/ms-dev-jobs/stream/2026-01-01T00:00:00.000"}),
    ("aws:s3/bucket:Bucket", {"bucket": "ms-dev-site"}, "ms-dev-site",
     {"arn": "arn:aws:s3:::ms-dev-site", "bucketRegionalDomainName": f"ms-dev-site.s3.{REGION}.amazonaws.com"}),
    ("aws:iam/role:Role", {"name": "ms-dev-fn"}, "ms-dev-fn", {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/ms-dev-fn"}),
    ("aws:sns/topic:Topic", {"name": "alarms"}, f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:alarms",
     {"arn": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:alarms"}),
    ("aws:lambda/functionUrl:FunctionUrl", {"functionName": "ms-dev-api"}, None,
     {"functionUrl": f"https://ms-dev-api.lambda-url.{REGION}.on.aws/", "urlId": "ms-dev-api"}),
    ("aws:route53/record:Record", {"name": "ops.example.com"}, "ops.example.com", {"fqdn": "ops.example.com"}),
    # A type without a row: an ARN from its module, type and name.
    ("aws:sqs/queue:Queue", {"name": "work"}, "work", {"arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:queue/work"}),
])
def test_each_type_gets_the_outputs_aws_would_fill_in(typ, inputs, expected_id, expected):
    rid, outputs = mock_outputs(typ, "logical", inputs, REGION)
    assert {k: outputs[k] for k in expected} == expected
    assert {k: outputs[k] for k in inputs} == inputs  # inputs come back as outputs
    if expected_id is not None:
        assert rid == expected_id


def test_answers_are_stable_and_ids_of_unnamed_resources_are_distinct():
    assert mock_outputs("aws:cloudfront/distribution:Distribution", "brand", {}, REGION) == \
        mock_outputs("aws:cloudfront/distribution:Distribution", "brand", {}, REGION)
    policy_ids = {mock_outputs("aws:cloudfront/originRequestPolicy:OriginRequestPolicy", n, {}, REGION)[0] for n in "abc"}
    assert len(policy_ids) == 3 and all(len(i) == 36 for i in policy_ids)  # UUID-shaped, one per resource
    assert "arn" not in mock_outputs("aws:sqs/queue:Queue", "unnamed", {}, REGION)[1]


def test_a_module_wide_row_does_not_hide_an_exact_one():
    assert "aws:cloudfront/*" in SHAPES
    _, outputs = mock_outputs("aws:cloudfront/function:Function", "rewrite", {"name": "ms-dev-rewrite"}, REGION)
    assert outputs["arn"] == f"arn:aws:cloudfront::{ACCOUNT_ID}:function/ms-dev-rewrite"


def test_a_program_that_fails_before_its_sites_are_built_reports_the_failure(tmp_path):
    """Its sites' deferred outputs never resolve; the run must still end with the program's error."""
    import threading

    from ops import harness

    main = (harness.ROOT / "__main__.py").read_text()
    assert "\nplatform.finish()" in main
    program = tmp_path / "__main__.py"
    program.write_text(main.replace("\nplatform.finish()", '\nraise RuntimeError("failed before finish")'))
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            harness.run("dev", program=program)
        except BaseException as exc:  # noqa: BLE001 (the outcome under test)
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=300)  # generous: a busy machine; it used to wait for ever
    assert not thread.is_alive(), "the run never ended"
    assert outcome and "failed before finish" in str(outcome[0])
