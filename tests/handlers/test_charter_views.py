"""No booking, whatever it holds, can put money, notes or crew contacts into a guest page or a
crew view: they are built from explicit view models (SPEC incident 5)."""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.charters import events
from handlers.charters.models import CharterBooking
from handlers.shared import mail

names = st.text(alphabet=st.characters(whitelist_categories=("L",)), min_size=2, max_size=12)
money = st.decimals(min_value=Decimal("100.01"), max_value=Decimal("99999.99"), places=2)
crew_member = st.fixed_dictionaries({
    "name": names, "role": st.sampled_from(["captain", "deckhand", "chef"]),
    "email": st.builds(lambda user, host: f"{user}@{host}.example", st.from_regex(r"[a-z]{6,10}", fullmatch=True),
                       st.from_regex(r"[a-z]{4,8}", fullmatch=True)),
})
bookings = st.fixed_dictionaries({
    "source": st.sampled_from(["boatsetter", "getmyboat", "direct"]),
    "external_id": st.from_regex(r"[A-Z]{2}-[0-9]{6}", fullmatch=True),
    "date": st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    "start_time": st.sampled_from(["09:00", "13:30", "17:30"]),
    "duration_hours": st.sampled_from([2, 3, 4.5]),
    "guest_name": st.builds(lambda a, b: f"{a} {b}", names, names),
    "guest_email": st.just("guest@example.com"),
    "guest_count": st.integers(min_value=1, max_value=40),
    "gross_revenue": money,
    "captain_fee": money,
    # Any printable text: notes refuse control and bidi characters (handlers/shared/fields.py Text).
    "notes": st.builds(lambda amount, words: f"{words} paid ${amount}", money,
                       st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs")), min_size=0, max_size=40)),
    "crew": st.lists(crew_member, min_size=1, max_size=4, unique_by=lambda m: m["email"]),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bookings)
def test_guest_and_crew_views_never_carry_money_notes_or_contacts(raw):
    request = CharterBooking.model_validate(raw)
    _, event, crew, _ = events.records(request, "E0123456789", "XHQGMDH42", "Dock A", {})
    money_strings = {str(request.gross_revenue), str(request.captain_fee), f"{request.gross_revenue:.2f}"}
    guest_page = mail.render("charters", "guest.html.j2", view=events.guest_view(event, "Queen", ["Hat"]))
    for secret in [*money_strings, request.notes, request.guest_email, *(m.email for m in request.crew)]:
        assert secret not in guest_page
    for member in crew:
        view = json.dumps(events.crew_view(event, member, crew, ["Life jackets"], int(time.time()) + 3600).model_dump())
        for secret in [*money_strings, request.notes, request.guest_email, *(m.email for m in request.crew)]:
            assert secret not in view
