"""SNS topics locally, and what the channels publish to them on AWS.

- **Delivery.** Each function the program subscribes to a topic is subscribed on moto as an HTTP
  endpoint of local mode (`/_local/sns/<function>`, ops/local/materialize.py), since moto cannot
  invoke a function it does not run. Whoever publishes (a handler, local mode, a terminal), moto
  posts the message there before Publish answers, and the function runs in its worker with the
  event Lambda would give it.
- **SES's events.** After each mail SES accepted, SES's `Send` event goes to the topic the mail's
  configuration set names for it, and is delivered before the invocation that sent the mail
  answers (the notifier counts on it: a retry after a crash must find the mail accepted). A
  bounce or a complaint is played the same way, from the outbox page's buttons.
- **Replies to texts** (STOP, START) are published to the notifier's `text-replies` topic, as an
  origination number's two-way channel would.
"""

from __future__ import annotations

import json
import threading
from email.utils import parseaddr
from typing import Any, Callable, Optional

from ops.local import channel_events

PATH = "/_local/sns/"
REPLIES_TOPIC = "text-replies"  # components/blocks/notifier.py
SES_KINDS = {"Send": "SEND", "Bounce": "BOUNCE", "Complaint": "COMPLAINT"}


def subscriber_endpoint(port: int, function: str) -> str:
    """Where moto posts a topic's messages for the function (its physical name)."""
    return f"http://127.0.0.1:{port}{PATH}{function}"


class Topics:
    def __init__(self, graph, sns, invoke: Callable[[str, dict], Any], log: Callable[[str], None]):
        self.sns = sns
        self.invoke = invoke
        self.log = log
        self.functions = {f.inputs["name"]: f.name for f in graph.of_type("aws:lambda/function:Function")}
        # configuration set → [(topic, event types)], as its SNS event destinations say
        self.ses_destinations: dict[str, list[tuple[str, set[str]]]] = {}
        for destination in graph.of_type("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination"):
            spec = destination.inputs.get("eventDestination") or {}
            topic = (spec.get("snsDestination") or {}).get("topicArn")
            if topic and spec.get("enabled", True):
                self.ses_destinations.setdefault(destination.inputs["configurationSetName"], []).append(
                    (topic, set(spec.get("matchingEventTypes") or [])))
        self.replies_topic: Optional[str] = next(
            (t.outputs["arn"] for t in graph.of_type("aws:sns/topic:Topic") if t.name == REPLIES_TOPIC), None)
        self._delivered: dict[str, list[str]] = {}  # message id → what each subscriber answered
        self._lock = threading.Lock()

    # -- delivery -----------------------------------------------------------------------------
    def receive(self, function: str, body: bytes) -> tuple[int, dict]:
        """moto posting a topic's message for a subscribed function: run it, answer what it did."""
        logical = self.functions.get(function)
        if logical is None:
            return 404, {"error": "not_found", "message": f"no function {function}"}
        try:
            post = json.loads(body or b"{}")
        except ValueError:
            return 400, {"error": "invalid_json", "message": "not an SNS message"}
        if post.get("Type") != "Notification":
            return 200, {"ignored": post.get("Type")}
        self.log(f"topic {post['TopicArn'].rsplit(':', 1)[-1]} → {logical}")
        event = channel_events.sns_event(post["TopicArn"], post.get("Message", ""), message_id=post.get("MessageId", ""),
                                         subject=post.get("Subject"), attributes=post.get("MessageAttributes"))
        reply = self.invoke(logical, event)
        answer = f"{logical}: " + (f"failed ({reply.error})" if reply.error else json.dumps(reply.result, default=str))
        with self._lock:
            self._delivered.setdefault(post.get("MessageId", ""), []).append(answer)
        return 200, {"function": logical, "result": reply.result, "error": reply.error}

    def publish(self, topic: str, notice: dict) -> list[str]:
        """Publish through moto (which delivers to the subscribers before it answers); what each
        subscriber answered."""
        message_id = self.sns.publish(TopicArn=topic, Message=json.dumps(notice))["MessageId"]
        with self._lock:
            return self._delivered.pop(message_id, [])

    # -- SES's events -------------------------------------------------------------------------
    def ses_topics(self, configuration_set: str, kind: str) -> list[str]:
        return [topic for topic, kinds in self.ses_destinations.get(configuration_set, []) if SES_KINDS[kind] in kinds]

    def ses_event(self, mail: dict, kind: str) -> Optional[list[str]]:
        """SES's `kind` event for an outbox mail (as the worker reported it), to every topic its
        configuration set publishes that kind to; None when none does (Cognito's own mail)."""
        topics = self.ses_topics(mail.get("configuration_set", ""), kind)
        if not topics:
            return None
        to = mail["to"] if isinstance(mail["to"], list) else [a.strip() for a in mail["to"].split(",") if a.strip()]
        notice = channel_events.ses_notice(kind, to=to, source=parseaddr(mail.get("from", ""))[1],
                                           message_id=mail.get("message_id", ""), tags=mail.get("tags") or {},
                                           configuration_set=mail["configuration_set"])
        answers = []
        for topic in topics:
            answers += self.publish(topic, notice)
        return answers

    def sent(self, mails: list[dict]) -> None:
        """SES's Send event for each mail it accepted."""
        for mail in mails:
            if mail.get("channel", "email") == "email" and mail.get("configuration_set"):
                try:
                    self.ses_event(mail, "Send")
                except Exception as exc:  # an event lost is logged; the mail was sent all the same
                    self.log(f"SES Send event for {mail.get('message_id')}: {exc}")

    # -- replies to texts -----------------------------------------------------------------------
    def text_reply(self, text: dict, body: str) -> Optional[list[str]]:
        """The text's recipient answers `body`; None when the stack has no replies topic."""
        if self.replies_topic is None:
            return None
        notice = channel_events.text_reply(from_phone=text["to"], to_number=text.get("from", ""), body=body,
                                           previous_message_id=text.get("message_id", ""))
        return self.publish(self.replies_topic, notice)
