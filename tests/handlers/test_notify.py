"""The notifier (handlers.shared.notify): once per logical message through retries and crashes,
one suppression list fed from four sources, quiet hours across daylight-saving changes,
transactional against marketing, texts in one segment, and each system's own name.

notify() runs here inside the notify-events function (it links every system's name, marketing
too), so each call is checked against that function's IAM policy like any handler's."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from handlers.shared import claims, notify, sms
from handlers.shared.aws import client
from ops.local import channel_events

TABLE = "mainstreet-dev-notifications"
MAIL_TOPIC = "arn:aws:sns:us-west-2:123456789012:mainstreet-dev-mailer-events"
PHONE = "+16195550142"
LA = ZoneInfo("America/Los_Angeles")
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=LA)  # outside the dev stack's quiet hours (21:00-08:00)


class Died(BaseException):
    """The worker was killed here (a BaseException: not even notify's release runs)."""


@pytest.fixture
def events(function):
    return function("notify-events")


EVENTS_ARN = "arn:aws:lambda:us-west-2:123456789012:function:mainstreet-dev-notify-events"


@pytest.fixture
def send(events, monkeypatch):
    """send(key, ...) → notify() as the notify-events function would call it, with the deferred
    messages' target every marketing sender links (notify-events hands them back to itself)."""
    monkeypatch.setitem(events.env, "DEFERRED_NOTIFICATIONS_TARGET_SETTING", EVENTS_ARN)
    monkeypatch.setenv("DEFERRED_NOTIFICATIONS_TARGET_SETTING", EVENTS_ARN)

    def call(key: str = "m-1", *, email: str = "mark@example.com", phone: str = "", texts: bool = True,
             kind: str = notify.TRANSACTIONAL, system: str = "staff", template: str = "test", now: datetime = NOON, **data):
        with events.running():
            return notify.notify(key=key, to=notify.Recipient(email=email, phone=phone, texts=texts), kind=kind, system=system,
                                 template=template, package="shared", now=now.astimezone(timezone.utc),
                                 data={"what": "Your pickup is booked", **data}, link="https://dispatch.example.test/track/abc123")
    return call


@pytest.fixture(autouse=True)
def test_template(monkeypatch):
    """A template pair of the shared package, for messages of any system."""
    import jinja2

    from handlers.shared import mail

    loader = jinja2.DictLoader({
        "test.txt.j2": "{% block subject %}{{ what }}{% endblock %}{% block text %}{{ what }}\n{% if unsubscribe_url %}"
                       "Unsubscribe: {{ unsubscribe_url }}\n{% endif %}-- {{ sender }}{% endblock %}{% block sms %}{{ what }}{% endblock %}",
        "test.html.j2": "<p>{{ what }}</p><p>{{ sender }}</p>",
        "mailonly.txt.j2": "{% block subject %}{{ what }}{% endblock %}{% block text %}{{ what }}{% endblock %}",
        "mailonly.html.j2": "<p>{{ what }}</p>",
    })
    real = mail.templates("shared")
    env = jinja2.Environment(loader=jinja2.ChoiceLoader([loader, real.loader]), autoescape=real.autoescape,
                             undefined=jinja2.StrictUndefined)
    monkeypatch.setattr(mail, "templates", lambda package: env)


@pytest.fixture
def texts():
    """The texts SNS accepted, [(phone, message)]."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return lambda: list(sns_backends[DEFAULT_ACCOUNT_ID]["us-west-2"].sms_messages.values())


@pytest.fixture
def mail_calls(monkeypatch):
    """What each SES send was asked to carry (moto keeps neither the headers nor the text part)."""
    from handlers.shared import mail

    real, calls = mail.send, []

    def recording(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(mail, "send", recording)
    return calls


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        at = time.time()

        def __call__(self):
            return self.at

    ticking = Clock()
    monkeypatch.setattr(claims, "now", ticking)
    return ticking


def mails_to(sent_mail, address: str) -> list:
    return [m for m in sent_mail() if address in str(m.destinations)]


def rows(prefix: str) -> list[dict]:
    items = client("dynamodb").scan(TableName=TABLE)["Items"]
    return [i for i in items if i["pk"]["S"].startswith(prefix)]


def ses_event(events, kind: str, to: str, tags: dict | None = None):
    notice = channel_events.ses_notice(kind, to=[to], source="hello@dev.mainstreet.example", message_id="m", tags=tags)
    return events.invoke(channel_events.sns_event(MAIL_TOPIC, notice))


def text_reply(events, phone: str, body: str):
    notice = channel_events.text_reply(from_phone=phone, to_number="+18885550100", body=body)
    return events.invoke(channel_events.sns_event("arn:aws:sns:us-west-2:123456789012:mainstreet-dev-text-replies", notice))


# -- once ---------------------------------------------------------------------------------------

def test_a_message_sent_again_under_the_same_key_goes_once_per_channel(send, sent_mail, texts):
    first = send(phone=PHONE)
    assert first == {"email": notify.SENT, "sms": notify.SENT}
    assert send(phone=PHONE) == {"email": notify.SENT_BEFORE, "sms": notify.SENT_BEFORE}
    assert send("m-2", phone=PHONE) == {"email": notify.SENT, "sms": notify.SENT}  # another message
    assert len(mails_to(sent_mail, "mark@example.com")) == 2 and len(texts()) == 2


def test_a_mail_ses_took_before_its_worker_died_is_not_sent_again(send, events, sent_mail, clock, monkeypatch):
    from handlers.shared import mail

    real, tags = mail.send, {}

    def sends_then_dies(**kwargs):
        real(**kwargs)
        tags.update(kwargs["tags"])
        raise Died("after SES accepted")

    monkeypatch.setattr(mail, "send", sends_then_dies)
    with pytest.raises(Died):
        send()
    monkeypatch.setattr(mail, "send", real)
    assert ses_event(events, "Send", "mark@example.com", tags) == {"outcomes": ["accepted"]}  # SES's own event
    assert send() == {"email": notify.BUSY}  # the dead worker's lease still holds
    clock.at += claims.LEASE_S + 1
    assert send() == {"email": notify.SENT_BEFORE}
    assert send() == {"email": notify.SENT_BEFORE}
    assert len(mails_to(sent_mail, "mark@example.com")) == 1


def test_a_mail_whose_worker_died_before_ses_took_it_is_sent_on_the_retry(send, sent_mail, clock, monkeypatch):
    from handlers.shared import mail

    real = mail.send
    monkeypatch.setattr(mail, "send", lambda **kwargs: (_ for _ in ()).throw(Died("before SES")))
    with pytest.raises(Died):
        send()
    monkeypatch.setattr(mail, "send", real)
    clock.at += claims.LEASE_S + 1
    assert send() == {"email": notify.SENT}
    assert len(mails_to(sent_mail, "mark@example.com")) == 1


def test_a_mail_ses_refused_is_sent_by_the_next_try(send, sent_mail, monkeypatch):
    from handlers.shared import mail

    real = mail.send
    monkeypatch.setattr(mail, "send", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("Throttling")))
    with pytest.raises(RuntimeError):
        send()
    monkeypatch.setattr(mail, "send", real)
    assert send() == {"email": notify.SENT}  # released at once: nothing to wait for
    assert len(mails_to(sent_mail, "mark@example.com")) == 1


def test_a_text_whose_worker_died_mid_send_is_never_sent_twice(send, texts, clock, monkeypatch):
    from handlers.shared import notify as module

    real = module.send_now

    def publishes_then_dies(row, message, kind):
        real(row, message, kind)
        if message.channel == notify.SMS:
            raise Died("after SNS accepted")
        return "id"

    monkeypatch.setattr(module, "send_now", publishes_then_dies)
    with pytest.raises(Died):
        send(email="", phone=PHONE)
    monkeypatch.setattr(module, "send_now", real)
    clock.at += claims.LEASE_S + 1
    assert send(email="", phone=PHONE) == {"sms": notify.UNKNOWN}  # no proof either way: not sent again
    assert send(email="", phone=PHONE) == {"sms": notify.UNKNOWN}
    assert len(texts()) == 1
    [row] = rows("MSG#")
    assert row["state"]["S"] == notify.UNKNOWN


def test_a_retry_says_what_became_of_the_message_before(send, events, sent_mail, monkeypatch):
    from handlers.shared import mail

    assert send("sent-then-bounced") == {"email": notify.SENT}
    ses_event(events, "Bounce", "mark@example.com")
    assert send("sent-then-bounced") == {"email": notify.SENT_BEFORE}  # it went; the bounce came after
    ses_event(events, "Send", "x@example.com")  # (a Send for a mail not ours changes nothing)

    real = mail.send
    monkeypatch.setattr(mail, "send", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("Throttling")))
    with pytest.raises(RuntimeError):
        send("offer", email="ana@example.com", kind=notify.MARKETING, system="loyalty")
    monkeypatch.setattr(mail, "send", real)
    night = datetime(2026, 11, 24, 22, 30, tzinfo=LA)  # SES refused it; the retry falls in quiet hours
    assert send("offer", email="ana@example.com", kind=notify.MARKETING, system="loyalty", now=night) == {"email": notify.DEFERRED}
    [schedule] = client("scheduler").list_schedules(NamePrefix="mainstreet-dev-notify-defer")["Schedules"]
    payload = json.loads(client("scheduler").get_schedule(Name=schedule["Name"])["Target"]["Input"])
    assert events.invoke(payload) == {"outcome": notify.SENT}
    assert len(mails_to(sent_mail, "ana@example.com")) == 1


# -- suppression from each source --------------------------------------------------------------

def test_a_hard_bounce_stops_every_message_to_the_address_and_each_is_counted_once(send, events, sent_mail):
    assert ses_event(events, "Bounce", "Mark@Example.com") == {"outcomes": ["bounce"]}
    assert send() == {"email": notify.SUPPRESSED}
    assert send() == {"email": notify.SUPPRESSED}  # a retry: recorded and counted once
    assert send("m-2", kind=notify.MARKETING) == {"email": notify.SUPPRESSED}
    assert mails_to(sent_mail, "mark@example.com") == []
    [count] = rows("COUNT#")
    assert count["suppressed_email"]["N"] == "2"


def test_a_complaint_stops_every_message_to_the_address(send, events, sent_mail):
    assert ses_event(events, "Complaint", "mark@example.com") == {"outcomes": ["complaint"]}
    assert send() == {"email": notify.SUPPRESSED}
    assert mails_to(sent_mail, "mark@example.com") == []


def test_a_soft_bounce_suppresses_nothing(send, events):
    notice = channel_events.ses_notice("Bounce", to=["mark@example.com"], source="hello@dev.mainstreet.example", message_id="m")
    notice["bounce"]["bounceType"] = "Transient"
    events.invoke(channel_events.sns_event(MAIL_TOPIC, notice))
    assert send() == {"email": notify.SENT}


def test_stop_stops_texts_start_lifts_it_and_mail_still_goes(send, events, texts):
    assert text_reply(events, PHONE, "stop") == {"outcomes": ["stop"]}
    assert send(phone=PHONE) == {"email": notify.SENT, "sms": notify.SUPPRESSED}
    assert text_reply(events, PHONE, "START") == {"outcomes": ["start"]}
    assert send("m-2", phone=PHONE) == {"email": notify.SENT, "sms": notify.SENT}
    assert [phone for phone, _ in texts()] == [PHONE]


def test_numbers_on_the_carriers_opt_out_list_get_no_text(send, events, texts):
    opted_out = client("sns").list_phone_numbers_opted_out()["phoneNumbers"][0]
    assert events.invoke({"task": "opt-outs"})["suppressed"] >= 1
    assert send(phone=opted_out) == {"email": notify.SENT, "sms": notify.SUPPRESSED}
    assert texts() == []


def unsubscribe_token(call: dict) -> str:
    """The token of the mail's List-Unsubscribe header (RFC 8058), checked on the way."""
    import re

    assert call["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    match = re.fullmatch(r"<https?://[^/]+/api/unsubscribe\?t=([A-Za-z0-9_.-]+)>", call["headers"]["List-Unsubscribe"])
    assert match, call["headers"]
    assert f"/unsubscribe/#t={match.group(1)}" in call["text"]  # the mail's own link: the page, the token in the fragment
    return match.group(1)


def test_one_click_unsubscribe_stops_that_systems_marketing_only(send, function, mail_calls):
    assert send("offer-1", kind=notify.MARKETING, system="loyalty") == {"email": notify.SENT}
    [offer] = mail_calls
    assert "mark" not in offer["headers"]["List-Unsubscribe"].lower()  # no address in a URL that reaches logs
    token = unsubscribe_token(offer)
    unsubscribe = function("notify-unsubscribe")
    answer = unsubscribe.post("/api/unsubscribe", query=f"t={token}", body="List-Unsubscribe=One-Click",
                              headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status == 200 and answer.json() == {"unsubscribed": True, "from": "Harbor Bean Café"}
    assert unsubscribe.post("/api/unsubscribe", {"token": token}).status == 200  # again, from the page: the same
    assert send("offer-2", kind=notify.MARKETING, system="loyalty") == {"email": notify.SUPPRESSED}
    assert send("reward-1", system="loyalty") == {"email": notify.SENT}  # transactional still goes
    assert send("outreach-1", kind=notify.MARKETING, system="referrals") == {"email": notify.SENT}  # another system's
    assert "List-Unsubscribe" not in mail_calls[1]["headers"]  # transactional mail has none


def test_a_forged_or_garbled_unsubscribe_link_changes_nothing(send, function):
    send("offer-1", kind=notify.MARKETING, system="loyalty")
    unsubscribe = function("notify-unsubscribe")
    for token in ("x" * 40, "eyJtIjoiYWJjIn0.forged-signature"):
        answer = unsubscribe.post("/api/unsubscribe", query={"t": token})
        assert answer.status == 400 and answer.json()["error"] == "link_invalid", token
    for body in ({"token": "bad token!"}, {"token": 5}, {}):
        assert unsubscribe.post("/api/unsubscribe", body).status == 422, body
    assert rows("TO#") == []


# -- transactional and marketing, quiet hours --------------------------------------------------

def test_marketing_in_quiet_hours_waits_for_their_end_and_transactional_does_not(send, events, sent_mail):
    night = datetime(2026, 11, 24, 22, 30, tzinfo=LA)
    assert send("offer", kind=notify.MARKETING, system="loyalty", now=night) == {"email": notify.DEFERRED}
    assert send("offer", kind=notify.MARKETING, system="loyalty", now=night) == {"email": notify.DEFERRED}  # retried: one schedule
    assert send("reward", system="loyalty", now=night) == {"email": notify.SENT}
    [schedule] = client("scheduler").list_schedules(NamePrefix="mainstreet-dev-notify-defer")["Schedules"]
    details = client("scheduler").get_schedule(Name=schedule["Name"])
    assert details["ScheduleExpression"] == "at(2026-11-25T08:00:00)" and details["ScheduleExpressionTimezone"] == "America/Los_Angeles"
    assert details["ActionAfterCompletion"] == "DELETE"
    payload = json.loads(details["Target"]["Input"])
    assert "mark" not in json.dumps(payload)  # the schedule names the row, not the person
    assert len(mails_to(sent_mail, "mark@example.com")) == 1
    assert events.invoke(payload) == {"outcome": notify.SENT}  # the schedule fires at 08:00
    [held] = [r for r in rows("MSG#") if "due" in r]
    assert held["state"]["S"] == notify.SENT and "message" not in held  # its words are not kept once sent
    assert events.invoke(payload) == {"outcome": notify.SENT_BEFORE}  # fired twice: one mail
    assert len(mails_to(sent_mail, "mark@example.com")) == 2


def test_a_deferred_message_is_dropped_if_its_contact_unsubscribed_meanwhile(send, events, sent_mail):
    night = datetime(2026, 11, 24, 23, 0, tzinfo=LA)
    send("offer", kind=notify.MARKETING, system="loyalty", now=night)
    ses_event(events, "Complaint", "mark@example.com")
    [schedule] = client("scheduler").list_schedules(NamePrefix="mainstreet-dev-notify-defer")["Schedules"]
    payload = json.loads(client("scheduler").get_schedule(Name=schedule["Name"])["Target"]["Input"])
    assert events.invoke(payload) == {"outcome": notify.SUPPRESSED}
    assert mails_to(sent_mail, "mark@example.com") == []


@pytest.mark.parametrize("night, until_utc", [
    # 1 November 2026: clocks go back at 02:00 (PDT → PST); 08:00 that morning is 16:00 UTC, not 15:00.
    (datetime(2026, 11, 1, 0, 30, tzinfo=LA), datetime(2026, 11, 1, 16, 0, tzinfo=timezone.utc)),
    # 8 March 2026: clocks go forward at 02:00 (PST → PDT); 08:00 is 15:00 UTC.
    (datetime(2026, 3, 7, 22, 0, tzinfo=LA), datetime(2026, 3, 8, 15, 0, tzinfo=timezone.utc)),
])
def test_quiet_hours_end_at_eight_local_time_across_a_daylight_saving_change(send, night, until_utc):
    from handlers.shared import quiet

    assert quiet.send_at(night.astimezone(timezone.utc), "21:00-08:00", "America/Los_Angeles") == until_utc
    assert send("offer", kind=notify.MARKETING, system="loyalty", now=night) == {"email": notify.DEFERRED}
    [row] = rows("MSG#")
    assert datetime.fromisoformat(row["due"]["S"]) == until_utc


def test_texts_need_the_recipients_agreement_and_a_template_with_a_text(send, texts):
    assert send(phone=PHONE, texts=False) == {"email": notify.SENT}
    assert send("m-2", phone=PHONE, template="mailonly") == {"email": notify.SENT}
    assert texts() == []


def test_a_text_that_cannot_fit_one_segment_is_left_out_and_the_mail_still_goes(send, events, texts, monkeypatch):
    names = json.loads(events.env["SENDER_NAMES_SETTING"])
    monkeypatch.setenv("SENDER_NAMES_SETTING", json.dumps({**names, "staff": "Café ☕ " + "x" * 52}))  # UCS-2: 70 at most
    notify.settings.cache_clear()
    assert send(phone=PHONE) == {"email": notify.SENT}
    assert send("m-2", phone="555-0142") == {"email": notify.SENT}  # not E.164: a caller's bug, logged
    assert texts() == []


def test_a_marketing_text_says_how_to_stop_them(send, texts):
    assert send(email="", phone=PHONE, kind=notify.MARKETING, system="loyalty") == {"sms": notify.SENT}
    [(_, message)] = texts()
    assert message.startswith("Harbor Bean Café: ") and message.endswith("Reply STOP to opt out")


# -- names --------------------------------------------------------------------------------------

def test_each_system_speaks_with_its_own_name(send, mail_calls, texts):
    from email.header import decode_header, make_header
    from email.utils import parseaddr

    for system, name in (("dispatch", "QuickDumpNow"), ("charters", "Queen of San Diego Charters"),
                         ("loyalty", "Harbor Bean Café"), ("referrals", "JADA Partners")):
        send(f"hello-{system}", email=f"{system}@example.com", phone=PHONE, system=system)
        call = mail_calls[-1]
        sender = call.get("from_name") or parseaddr(call["sender"])[0]
        assert str(make_header(decode_header(sender))) == name
        assert call["text"].rstrip().endswith(f"-- {name}") and f"<p>{name}</p>" in call["html"]
        assert texts()[-1][1].startswith(f"{name}: ")


def test_a_function_cannot_speak_for_a_system_it_does_not_link(function):
    board = function("staff-team")
    with board.running(), pytest.raises(ValueError, match="does not speak for 'dispatch'"):
        notify.notify(key="k", to=notify.Recipient(email="a@example.com"), kind=notify.TRANSACTIONAL, system="dispatch",
                      template="test", package="shared", data={"what": "x"})


# -- one segment per text ----------------------------------------------------------------------

def test_gsm_text_up_to_160_and_ucs2_up_to_70_characters():
    assert sms.length("a" * 160) == (160, 160) and sms.fits("a" * 160) and not sms.fits("a" * 161)
    assert sms.length("€" * 80) == (160, 160)  # the extension table costs two septets each
    assert sms.length("ü é à Ñ") == (7, 160)  # GSM-7 has these
    assert sms.length("a" * 69 + "’") == (70, 70) and not sms.fits("a" * 70 + "’")  # one curly quote: UCS-2
    assert sms.length("🚚") == (2, 70)  # an emoji is two UTF-16 units


def test_fit_keeps_the_name_and_the_link_and_shortens_the_words():
    link = "https://dispatch.example.com/track/T9x2Kq7LmZ4pW8vR?utm_source=x"
    long_words = "Your pickup crew is on the way and will arrive within the window you chose. " * 5
    text = sms.fit("QuickDumpNow", long_words, link)
    assert sms.fits(text) and len(text) <= 160
    assert text.startswith("QuickDumpNow: Your pickup crew") and text.endswith("dispatch.example.com/track/T9x2Kq7LmZ4pW8vR")
    assert "..." in text and "utm_source" not in text
    emoji = sms.fit("Harbor Bean Café", "Your free drink is ready ☕ " * 6, "")
    assert sms.fits(emoji) and len(emoji) <= 70 and emoji.endswith("…")
    assert sms.fit("A", "short", "http://dispatch.localhost:8080/track/x") == "A: short http://dispatch.localhost:8080/track/x"
    with pytest.raises(ValueError):
        sms.fit("A" * 200, "words")
