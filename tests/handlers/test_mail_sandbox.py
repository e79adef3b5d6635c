"""Sandbox mode's one redirect, in handlers.shared.mail.send: allow-listed recipients get their mail,
everyone else's goes to the redirect address with the original recipient visible, and nothing a
recipient or subject carries can start a header of its own."""

from __future__ import annotations

import pytest

from handlers.shared import mail
from ops.local.outbox import Outbox
from ops.local.worker import _mail_from_params

REDIRECT = "developer@dev.mainstreet.example"


@pytest.fixture
def sent(monkeypatch):
    calls: list[dict] = []

    class FakeSes:
        def send_email(self, **kwargs):
            calls.append(kwargs)
            return {"MessageId": f"m{len(calls)}"}

    monkeypatch.setattr(mail, "client", lambda service: FakeSes())
    return calls


@pytest.fixture
def sandbox(monkeypatch):
    monkeypatch.setenv("MAIL_SANDBOX_REDIRECT", REDIRECT)
    monkeypatch.setenv("MAIL_SANDBOX_RECIPIENTS", "ops@dev.mainstreet.example,crew.example")


def send(to: str, subject: str = "Your booking", headers=None) -> None:
    mail.send(sender="hello@dev.mainstreet.example", configuration_set="cs", to=to, subject=subject,
              html="<p>hi</p>", text="hi", headers=headers)


def headers_of(call: dict) -> dict[str, str]:
    return {h["Name"]: h["Value"] for h in call["Content"]["Simple"].get("Headers", [])}


def test_domain_mode_mails_everyone_as_addressed(sent, monkeypatch):
    monkeypatch.delenv("MAIL_SANDBOX_REDIRECT", raising=False)
    monkeypatch.delenv("MAIL_SANDBOX_RECIPIENTS", raising=False)
    send("guest@elsewhere.test")
    assert sent[0]["Destination"] == {"ToAddresses": ["guest@elsewhere.test"]}
    assert headers_of(sent[0]) == {}


@pytest.mark.parametrize("to", ["ops@dev.mainstreet.example", "OPS@Dev.Mainstreet.Example", "ada@crew.example"])
def test_allow_listed_addresses_and_domains_get_their_mail_directly(sent, sandbox, to):
    send(to)
    assert sent[0]["Destination"] == {"ToAddresses": [to]}
    assert sent[0]["Content"]["Simple"]["Subject"]["Data"] == "Your booking"
    assert mail.ORIGINAL_RECIPIENT not in headers_of(sent[0])


@pytest.mark.parametrize("to", ["guest@elsewhere.test", "ada@sub.crew.example", "ops@dev.mainstreet.example.evil.test"])
def test_everyone_else_is_redirected_with_the_original_recipient_visible(sent, sandbox, to):
    send(to, headers={"List-Unsubscribe": "<https://x.test/u>"})
    (call,) = sent
    assert call["Destination"] == {"ToAddresses": [REDIRECT]}
    assert call["Content"]["Simple"]["Subject"]["Data"] == f"[for {to}] Your booking"
    assert headers_of(call) == {"List-Unsubscribe": "<https://x.test/u>", mail.ORIGINAL_RECIPIENT: to}


def test_the_original_recipient_survives_a_long_subject(sent, sandbox):
    send("guest@elsewhere.test", subject="x" * 500)
    subject = sent[0]["Content"]["Simple"]["Subject"]["Data"]
    assert subject.startswith("[for guest@elsewhere.test] x") and len(subject) == 200


@pytest.mark.parametrize("to", ["guest@elsewhere.test\r\nBcc: evil@x.test", "guest@elsewhere.test\nBcc: e@x.test",
                                "guest@elsewhere.test\u2028Bcc: e@x.test", "guest@elsewhere.test\x00", "a@x.test, b@x.test"])
def test_a_recipient_that_could_start_a_header_is_refused_before_anything_is_sent(sent, sandbox, to):
    with pytest.raises(ValueError):
        send(to)
    assert sent == []


def test_a_redirected_subject_stays_one_line(sent, sandbox):
    send("guest@elsewhere.test", subject="Hi\r\nBcc: evil@x.test")
    (call,) = sent
    assert call["Content"]["Simple"]["Subject"]["Data"] == "[for guest@elsewhere.test] Hi Bcc: evil@x.test"
    assert all("\n" not in v and "\r" not in v for v in headers_of(call).values())


def test_the_local_outbox_shows_the_redirect_and_the_original_recipient(sent, sandbox):
    send("guest@elsewhere.test")
    outbox = Outbox()
    outbox.add([_mail_from_params(sent[0])])
    (shown,) = outbox.as_json()
    assert shown["to"] == REDIRECT and shown["headers"][mail.ORIGINAL_RECIPIENT] == "guest@elsewhere.test"
    page = outbox.page()
    assert REDIRECT in page and "[for guest@elsewhere.test] Your booking" in page and mail.ORIGINAL_RECIPIENT in page


def test_a_dev_handler_redirects_a_recipient_off_its_allow_list(function, sent_mail):
    """Through a handler the dev stack declares, with the env its link gives it: a signup at an unlisted domain."""
    signup = function("loyalty-signup")
    reply = signup.post("/api/members", {"phone": "+6591234567", "name": "Ana", "email": "ana@guests.org"},
                        host="loyalty.example.test")
    assert reply.status == 202, reply.text
    [sent] = sent_mail()
    assert sent.destinations["ToAddresses"] == [REDIRECT] and sent.subject.startswith("[for ana@guests.org] ")
