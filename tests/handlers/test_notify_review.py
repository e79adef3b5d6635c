"""The notifier's edges an attacker-minded review found: a held message whose send at the end of
quiet hours failed, a message held again to a new end, a window ending in the repeated hour of a
fall-back night, and garbage sent to /api/unsubscribe."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from handlers.shared import notify
from handlers.shared.aws import client
from tests.handlers.test_notify import (  # noqa: F401  (fixtures)
    EVENTS_ARN, LA, NOON, PHONE, TABLE, clock, events, mail_calls, mails_to, rows, send, ses_event, test_template,
    text_reply, texts,
)


def _deferred_payload():
    [schedule] = client("scheduler").list_schedules(NamePrefix="mainstreet-dev-notify-defer")["Schedules"]
    details = client("scheduler").get_schedule(Name=schedule["Name"])
    return json.loads(details["Target"]["Input"]), details


def test_a_deferred_mail_ses_refused_at_the_end_of_quiet_hours_is_sent_by_the_retry(send, events, sent_mail, monkeypatch):
    """The one-off schedule fires once (and deletes itself); Lambda's async retry re-delivers the
    same payload. A transient SES error at that moment must not lose the message."""
    from handlers.shared import mail

    night = datetime(2026, 11, 24, 22, 30, tzinfo=LA)
    assert send("offer", kind=notify.MARKETING, system="loyalty", now=night) == {"email": notify.DEFERRED}
    payload, _ = _deferred_payload()
    real = mail.send
    monkeypatch.setattr(mail, "send", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("Throttling")))
    with pytest.raises(RuntimeError):
        events.invoke(payload)  # the schedule fired; SES throttled
    monkeypatch.setattr(mail, "send", real)
    assert events.invoke(payload) == {"outcome": notify.SENT}  # Lambda's retry of the same event
    assert len(mails_to(sent_mail, "mark@example.com")) == 1


@pytest.mark.parametrize("query, body, content_type", [
    ("", "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"),  # a client that dropped the query
    ("", "not json", "application/json"),
    ("", "[]", "application/json"),
    ("", "null", "application/json"),
    ("", "", None),
    ("t=", "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"),
    ("t=%00%01", "", None),
    ("t=" + "a" * 5000, "", None),
    ("t=abc&t=def", "", None),
    ("", '{"token": "' + "a" * 300 + '"}', "application/json"),
    ("", b"\xff\xfe".decode("latin-1"), "application/json"),
])
def test_garbage_at_the_unsubscribe_endpoint_is_a_4xx(function, query, body, content_type):
    unsubscribe = function("notify-unsubscribe")
    answer = unsubscribe.post("/api/unsubscribe", query=query, body=body, headers={"content-type": content_type})
    assert 400 <= answer.status < 500, (answer.status, answer.body[:300])


def test_a_deferred_message_deferred_again_gets_a_schedule_at_the_new_end(send, events, monkeypatch):
    """The schedule that fired is the one deleting itself after completion: when deliver_deferred
    finds the window still on (it moved, or the schedule fired early), the new schedule must be
    at the new end, not the name-clash with the one that just fired."""
    night = datetime(2026, 11, 24, 22, 30, tzinfo=LA)
    assert send("offer", kind=notify.MARKETING, system="loyalty", now=night) == {"email": notify.DEFERRED}
    payload, first = _deferred_payload()
    assert first["ScheduleExpression"] == "at(2026-11-25T08:00:00)"
    # The owner widened quiet hours to 21:00-09:00: at 08:00 the window is still on.
    real = notify.knobs
    monkeypatch.setattr(notify, "knobs", lambda: {**real(), "quiet-hours": "21:00-09:00"})
    at_eight = datetime(2026, 11, 25, 8, 0, tzinfo=LA).astimezone(timezone.utc)
    with events.running():
        assert notify.deliver_deferred(payload["deliver"], EVENTS_ARN, now=at_eight) == notify.DEFERRED
    schedules = client("scheduler").list_schedules(NamePrefix="mainstreet-dev-notify-defer")["Schedules"]
    expressions = [client("scheduler").get_schedule(Name=s["Name"])["ScheduleExpression"] for s in schedules]
    assert "at(2026-11-25T09:00:00)" in expressions, expressions


def test_quiet_hours_ending_in_the_repeated_hour_of_a_fall_back_end_after_now():
    """1 November 2026, Los Angeles: 01:00-02:00 happens twice. At 01:15 PST (the second pass,
    09:15 UTC) a 21:00-01:30 window ends at 01:30 PST (09:30 UTC), not at 01:30 PDT (08:30 UTC),
    which is already past."""
    from handlers.shared import quiet

    now = datetime(2026, 11, 1, 9, 15, tzinfo=timezone.utc)
    assert now.astimezone(LA).strftime("%H:%M %Z") == "01:15 PST"
    until = quiet.send_at(now, "21:00-01:30", "America/Los_Angeles")
    assert until is not None and until > now, until
