"""Local mode's outbox: mail and texts in one list of the SPEC's shape (`outbox_json`), and the
page's buttons, which play back SES's bounces and complaints and replies to texts through the
topics AWS publishes them to, answering on the machine's bare name only."""

from __future__ import annotations

import http.client
import json
import threading
from http.server import ThreadingHTTPServer

import boto3
import pytest

from handlers.shared.mail import Attachment, _raw
from ops.local.materialize import Materializer
from ops.local.outbox import Outbox
from ops.local.server import LocalSystem, MotoServer
from ops.local.topics import Topics
from ops.local.worker import _mail_from_params, _text_from_params
from ops.local.workers import Reply
from tests.ops.test_local_control import SiteStandIn

SPEC_FIELDS = {"channel", "to", "from", "subject", "text", "html", "headers", "attachments", "sent_at"}
INVITE = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def mail_params(**extra) -> dict:
    """SES v2 SendEmail's parameters as handlers.shared.mail.send makes them for a mail with an attachment."""
    data = _raw('"QuickDumpNow" <hello@dev.mainstreet.example>', "dana@example.com", "Your pickup is booked",
                "<p>Booked</p>", "Booked\n", {}, [Attachment("pickup.ics", "text/calendar; method=REQUEST", INVITE)])
    return {"FromEmailAddress": '"QuickDumpNow" <hello@dev.mainstreet.example>', "Destination": {"ToAddresses": ["dana@example.com"]},
            "Content": {"Raw": {"Data": data}}, "ConfigurationSetName": "mainstreet-dev-mailer",
            "EmailTags": [{"Name": "message", "Value": "abc123"}], **extra}


def text_params(origination: tuple[str, str] = ("AWS.MM.SMS.OriginationNumber", "+18885550100")) -> dict:
    name, value = origination
    return {"PhoneNumber": "+16195550123", "Message": "QuickDumpNow: your pickup J7K2 is booked. dispatch.localhost/t/x",
            "MessageAttributes": {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                                  name: {"DataType": "String", "StringValue": value}}}


def test_a_mail_with_an_attachment_lists_it_by_name_type_and_size():
    outbox = Outbox()
    outbox.add([_mail_from_params(mail_params(), {"MessageId": "ses-1"})])
    [entry] = outbox.as_json()
    assert SPEC_FIELDS <= set(entry)
    assert entry["channel"] == "email" and entry["to"] == "dana@example.com"
    assert entry["subject"] == "Your pickup is booked" and entry["text"] == "Booked\n" and "<p>Booked</p>" in entry["html"]
    assert entry["attachments"] == [{"filename": "pickup.ics", "content_type": "text/calendar", "size": len(INVITE)}]
    # What SES's events for it carry, for the buttons.
    assert (entry["message_id"], entry["configuration_set"], entry["tags"]) == ("ses-1", "mainstreet-dev-mailer", {"message": "abc123"})
    json.dumps(outbox.as_json())  # the page's JSON as it is served


def test_a_simple_mail_has_no_attachments():
    params = {"FromEmailAddress": "hello@dev.mainstreet.example", "Destination": {"ToAddresses": ["a@example.com"]},
              "Content": {"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}, "Html": {"Data": "<p>Hello</p>"}}}}}
    entry = _mail_from_params(params, {"MessageId": "m"})
    assert (entry["channel"], entry["subject"], entry["text"], entry["attachments"]) == ("email", "Hi", "Hello", [])


@pytest.mark.parametrize("origination", [("AWS.MM.SMS.OriginationNumber", "+18885550100"), ("AWS.SNS.SMS.SenderID", "QUICKDUMP")])
def test_a_text_is_an_sms_entry_from_its_origination_identity(origination):
    outbox = Outbox()
    outbox.add([_text_from_params(text_params(origination), {"MessageId": "sns-1"})])
    [entry] = outbox.as_json()
    assert SPEC_FIELDS <= set(entry)
    assert {k: entry[k] for k in ("channel", "to", "from", "subject", "html", "headers", "attachments")} == {
        "channel": "sms", "to": "+16195550123", "from": origination[1], "subject": "", "html": "", "headers": {}, "attachments": []}
    assert entry["text"].startswith("QuickDumpNow: your pickup J7K2")


def test_a_publish_to_a_topic_is_no_text():
    assert _text_from_params({"TopicArn": "arn:aws:sns:us-west-2:123456789012:t", "Message": "{}"}, {"MessageId": "x"}) is None


def test_cognitos_own_mail_is_an_email_entry_too():
    from ops.local.cognito_mail import invitation

    outbox = Outbox()
    outbox.add([invitation({"Username": "sam@example.com", "TemporaryPassword": "Tmp-1234-abcd"}, {})])
    assert SPEC_FIELDS <= set(outbox.as_json()[0]) and outbox.as_json()[0]["channel"] == "email"


def test_the_page_shows_both_channels_a_text_as_a_bubble_and_each_entrys_buttons():
    outbox = Outbox()
    outbox.add([_mail_from_params(mail_params(), {"MessageId": "ses-1"}), _text_from_params(text_params(), {"MessageId": "sns-1"})])
    page = outbox.page({"1": [("bounce", "Bounce"), ("complain", "Complain")], "2": [("stop", "Reply STOP")]})
    assert 'data-channel="email"' in page and 'data-channel="sms"' in page
    assert '<div class="bubble text">QuickDumpNow: your pickup J7K2' in page
    assert 'action="/_local/outbox/1/bounce"' in page and 'action="/_local/outbox/2/stop"' in page
    assert "pickup.ics (text/calendar" in page




@pytest.fixture(scope="module")
def moto_server():
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def played(moto_server, dev_graph):
    """Local mode's control endpoints with the dev stack's topics on a moto server, subscribed as
    local mode subscribes them; each function "runs" by being recorded."""
    system = LocalSystem("dev", port=0)
    system.sites = {"ops": object()}
    system.frontdoor = SiteStandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), system._handler_class())
    system.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sns = boto3.client("sns", endpoint_url=moto_server.endpoint, region_name="us-west-2",
                                     aws_access_key_id="x", aws_secret_access_key="x")
    for topic in sns.list_topics()["Topics"]:
        sns.delete_topic(TopicArn=topic["TopicArn"])
    materializer = Materializer(lambda service: boto3.client(service, endpoint_url=moto_server.endpoint, region_name="us-west-2",
                                                             aws_access_key_id="x", aws_secret_access_key="x"),
                                local_port=system.port)
    for resource in dev_graph.of_type("aws:sns/topic:Topic") + dev_graph.of_type("aws:sns/topicSubscription:TopicSubscription"):
        materializer(resource.type, resource.name, resource.inputs, resource.outputs)
    invoked: list[tuple[str, dict]] = []

    def invoke(function: str, event: dict) -> Reply:
        invoked.append((function, event))
        return Reply(result={"outcomes": ["recorded"]})

    system.outbox = Outbox()
    system.topics = Topics(dev_graph, materializer.client("sns"), invoke, lambda line: None)
    yield system, invoked
    server.shutdown()
    server.server_close()


def post(system, host: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", system.port, timeout=30)
    connection.request("POST", path, body=b"", headers={"Host": host.format(port=system.port), **(headers or {})})
    response = connection.getresponse()
    answer = response.status, dict(response.getheaders()), response.read()
    connection.close()
    return answer


def notices(invoked) -> list[tuple[str, str, dict]]:
    return [(fn, event["Records"][0]["Sns"]["TopicArn"].rsplit(":", 1)[-1], json.loads(event["Records"][0]["Sns"]["Message"]))
            for fn, event in invoked]


def test_a_mail_ses_accepted_has_its_send_event_delivered_to_the_subscribed_function(played):
    system, invoked = played
    system.topics.sent([_mail_from_params(mail_params(), {"MessageId": "ses-1"})])
    [(function, topic, notice)] = notices(invoked)
    assert (function, topic, notice["eventType"]) == ("notify-events", "mainstreet-dev-mailer-events", "Send")
    assert notice["mail"]["tags"]["message"] == ["abc123"] and notice["mail"]["messageId"] == "ses-1"
    assert notice["mail"]["source"] == "hello@dev.mainstreet.example"


def test_bounce_and_reply_stop_reach_the_notifier_through_its_topics_and_the_entry_says_so(played):
    system, invoked = played
    system.outbox.add([_mail_from_params(mail_params(), {"MessageId": "ses-1"}), _text_from_params(text_params(), {"MessageId": "sns-1"})])
    status, headers, body = post(system, "localhost:{port}", "/_local/outbox/1/bounce")
    assert status == 303 and headers["Location"] == "/_local/outbox#m-1", body
    status, headers, body = post(system, "localhost:{port}", "/_local/outbox/2/stop")
    assert status == 303, body
    (_, bounce_topic, bounce), (_, replies_topic, reply) = notices(invoked)
    assert bounce_topic == "mainstreet-dev-mailer-events" and bounce["eventType"] == "Bounce"
    assert bounce["bounce"]["bouncedRecipients"][0]["emailAddress"] == "dana@example.com"
    assert replies_topic == "mainstreet-dev-text-replies"
    assert (reply["originationNumber"], reply["destinationNumber"], reply["messageBody"]) == ("+16195550123", "+18885550100", "STOP")
    mail, text = system.outbox.as_json()
    assert mail["replies"][0]["what"] == "Bounced" and "notify-events" in mail["replies"][0]["outcome"]
    assert text["replies"][0]["what"] == "Replied STOP"
    # A button for the other channel is refused.
    assert post(system, "localhost:{port}", "/_local/outbox/1/stop")[0] == 409


def test_anyone_publishing_to_a_topic_reaches_its_subscribers(played, moto_server):
    system, invoked = played
    sns = boto3.client("sns", endpoint_url=moto_server.endpoint, region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    sns.publish(TopicArn=system.topics.replies_topic, Message=json.dumps({"originationNumber": "+16195550123", "messageBody": "START"}))
    assert [(fn, topic) for fn, topic, _ in notices(invoked)] == [("notify-events", "mainstreet-dev-text-replies")]


@pytest.mark.parametrize("host, headers", [
    ("ops.localhost:{port}", {}),  # a site: its own path
    ("localhost:{port}", {"Origin": "http://ops.localhost:{port}"}),  # a site's page posting to the control host
    ("localhost:{port}", {"Sec-Fetch-Site": "cross-site"}),
])
def test_the_buttons_endpoints_refuse_a_site(played, host, headers):
    system, invoked = played
    system.outbox.add([_mail_from_params(mail_params(), {"MessageId": "ses-1"})])
    status, _, _ = post(system, host, "/_local/outbox/1/bounce", {k: v.format(port=system.port) for k, v in headers.items()})
    assert status in (403, 404) and invoked == []
    assert system.outbox.as_json()[0]["replies"] == []
    for path in ("/_local/sns/mainstreet-dev-notify-events",):
        assert post(system, host, path, {k: v.format(port=system.port) for k, v in headers.items()})[0] in (403, 404)
    assert invoked == []


def test_the_notifiers_schedules_fire_locally(moto_server, dev_graph):
    """The daily opt-out sync is the program's; a deferred message's one-off schedule, made at run
    time under the notifier's prefix and naming notify-events as its context names itself, is
    picked up, fires once and deletes itself."""
    from ops.local import scheduler as scheduler_module
    from ops.local.events import LambdaContext

    functions = {f.outputs["arn"]: f.name for f in dev_graph.of_type("aws:lambda/function:Function")}
    assert {s.logical: (s.target, s.input["task"]) for s in scheduler_module.from_graph(dev_graph)
            if s.logical == "notify-opt-outs"} == {"notify-opt-outs": ("notify-events", "opt-outs")}
    events = dev_graph.named("aws:lambda/function:Function", "notify-events")
    env = events.inputs["environment"]["variables"]
    client = boto3.client("scheduler", endpoint_url=moto_server.endpoint, region_name="us-west-2",
                          aws_access_key_id="x", aws_secret_access_key="x")
    name = f"{env['DEFERRED_NOTIFICATIONS_SCHEDULES']}0123abcd"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_REGION", "us-west-2")
        target = LambdaContext(function_name=events.inputs["name"]).invoked_function_arn
    client.create_schedule(Name=name, ScheduleExpression="at(2099-01-01T08:00:00)", ScheduleExpressionTimezone="America/Los_Angeles",
                           FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
                           Target={"Arn": target, "RoleArn": env["DEFERRED_NOTIFICATIONS_ROLE"], "Input": '{"deliver": "MSG#0123abcd"}'})
    calls = []
    runner = scheduler_module.Scheduler(lambda fn, event: calls.append((fn, event)), lambda line: None, client, functions)
    runner._sync_runtime_schedules()
    runner.run(name)
    assert calls == [("notify-events", {"deliver": "MSG#0123abcd"})]
    assert name not in runner.schedules and name not in [s["Name"] for s in client.list_schedules()["Schedules"]]
