"""What the channels send back on AWS, built here for local mode and the tests (moto fires none
of it): SES's event notices (Send, Bounce, Complaint) as a configuration set's SNS destination
publishes them, a reply to a text as an origination number's two-way channel publishes it, and
the SNS record a subscribed Lambda function receives. Shapes follow AWS's documented examples.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Iterable


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def ses_notice(kind: str, *, to: Iterable[str], source: str, message_id: str, tags: dict[str, str] | None = None,
               configuration_set: str = "") -> dict:
    """`kind`: "Send", "Bounce" (permanent) or "Complaint"; `tags` as the mail was sent with them."""
    recipients = list(to)
    all_tags = {name: [value] for name, value in (tags or {}).items()}
    if configuration_set:
        all_tags["ses:configuration-set"] = [configuration_set]
    notice: dict = {
        "eventType": kind,
        "mail": {"timestamp": _now(), "source": source, "sendingAccountId": "123456789012", "messageId": message_id,
                 "destination": recipients, "headersTruncated": False, "tags": all_tags},
    }
    if kind == "Send":
        notice["send"] = {}
    elif kind == "Bounce":
        notice["bounce"] = {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": _now(),
                            "feedbackId": str(uuid.uuid4()),
                            "bouncedRecipients": [{"emailAddress": r, "action": "failed", "status": "5.1.1",
                                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"} for r in recipients]}
    elif kind == "Complaint":
        notice["complaint"] = {"complainedRecipients": [{"emailAddress": r} for r in recipients], "timestamp": _now(),
                               "feedbackId": str(uuid.uuid4()), "complaintFeedbackType": "abuse"}
    else:
        raise ValueError(f"no SES event {kind!r}")
    return notice


def text_reply(*, from_phone: str, to_number: str, body: str, previous_message_id: str = "") -> dict:
    """A reply to a text, as AWS End User Messaging SMS publishes it from a two-way number."""
    return {"originationNumber": from_phone, "destinationNumber": to_number, "messageKeyword": "KEYWORD_123456789012",
            "messageBody": body, "inboundMessageId": str(uuid.uuid4()), "previousPublishedMessageId": previous_message_id}


def sns_event(topic_arn: str, message: dict | str, *, message_id: str = "", subject: str | None = None,
              attributes: dict | None = None) -> dict:
    """The event a Lambda function subscribed to `topic_arn` receives for one published message
    (a dict is published as its JSON; `message_id` is the one Publish answered)."""
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
        "Sns": {"Type": "Notification", "MessageId": message_id or str(uuid.uuid4()), "TopicArn": topic_arn,
                "Subject": subject, "Message": message if isinstance(message, str) else json.dumps(message),
                "Timestamp": _now(), "SignatureVersion": "1", "Signature": "", "SigningCertUrl": "",
                "UnsubscribeUrl": "", "MessageAttributes": attributes or {}},
    }]}
