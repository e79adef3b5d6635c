"""The weekly digest: last week's clicks per vendor, mailed to the operations manager."""

from __future__ import annotations


def test_the_digest_mails_last_weeks_clicks_with_a_link_to_the_stats_page(function, sent_mail):
    click = function("referral-click")
    for _ in range(3):
        click.get("/ref/puesto")
    click.get("/ref/solare")
    click.get("/ref/solare", headers={"user-agent": "Googlebot/2.1"})
    digest = function("referral-digest")
    result = digest.invoke({"schedule": "referral-digest"})
    assert result == {"sent": True, "outcome": "sent", "clicks": 4}
    [message] = sent_mail()
    assert message.destinations["ToAddresses"] == ["ops@dev.mainstreet.example"]
    assert message.subject.startswith("Referrals, week to ") and message.subject.endswith(": 4 clicks")
    body = message.body
    assert body.index("Puesto") < body.index("Solare")  # busiest first
    assert "/referrals/" in body and ".cloudfront.net/referrals/" in body
    assert "JADA Partners" in body  # signed with the referral program's name
    again = digest.invoke({"schedule": "referral-digest"})  # the schedule fired twice this week
    assert again == {"sent": False, "outcome": "sent_before", "clicks": 4} and len(sent_mail()) == 1
