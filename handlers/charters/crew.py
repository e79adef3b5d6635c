"""The crew member's magic link: `/crew/#t=<token>` on the ops site calls these with the token
in X-Crew-Token. Altered, expired or revoked links get a clear 4xx the page explains.

GET  /api/crew/assignment   the crew view of the charter
POST /api/crew/acknowledge  "I'm on it"
POST /api/crew/checklist    {item, done}
"""

from __future__ import annotations

from handlers.charters import events, storage, tokens
from handlers.shared.clock import utc_stamp
from handlers.shared.errors import ApiError
from handlers.shared.http import body, header, json_response, logger, make_api
from handlers.shared.secrets import secret_value
from handlers.shared.settings import HttpSettings, secret, setting, table


class CrewSettings(HttpSettings):
    crew_link_key_secret = secret("crew-link-key")
    charters_table = table("charters")
    crew_checklist = setting("crew checklist")


settings = CrewSettings.load()
app = make_api(settings.origin_verify_secret)
CHECKLIST = events.json_list(settings.crew_checklist)


def current_link() -> tokens.CrewLink:
    try:
        crew_link = tokens.read(secret_value(settings.crew_link_key_secret), header(app, "x-crew-token"))
    except tokens.LinkProblem as problem:
        raise ApiError(410 if problem.code == "link_expired" else 401, problem.code, problem.message) from None
    return crew_link


def revoked() -> ApiError:
    return ApiError(410, "link_revoked", "This link was replaced or withdrawn. Ask the office for a new one.")


def assignment(crew_link: tokens.CrewLink) -> tuple[dict, dict, list[dict]]:
    event, crew = storage.event_items(settings.charters_table, crew_link.event_id)
    me = next((m for m in crew if m["crew_id"] == crew_link.crew_id), None)
    if event is None or me is None or int(me["link_version"]) != crew_link.version:
        raise revoked()
    return event, me, crew


def view(crew_link: tokens.CrewLink) -> dict:
    event, me, crew = assignment(crew_link)
    return events.crew_view(event, me, crew, CHECKLIST, crew_link.expires_at).model_dump()


@app.get("/api/crew/assignment")
def show():
    return json_response(200, view(current_link()))


@app.post("/api/crew/acknowledge")
def acknowledge():
    from handlers.charters.models import Acknowledge

    crew_link = current_link()
    body(app, Acknowledge)  # {} or {"acknowledged": true}: anything else is a mistake, not a yes
    assignment(crew_link)
    # The write repeats the version check: a staff revoke may land between the read and here.
    if not storage.acknowledge(settings.charters_table, crew_link.event_id, crew_link.crew_id, crew_link.version, utc_stamp()):
        raise revoked()
    return json_response(200, view(crew_link))


@app.post("/api/crew/checklist")
def tick():
    from handlers.charters.models import ChecklistTick

    crew_link = current_link()
    request = body(app, ChecklistTick)
    if request.item not in CHECKLIST:
        message = "That is not an item of this checklist."
        raise ApiError(422, "validation_failed", message, {"item": message})
    assignment(crew_link)
    if not storage.tick(settings.charters_table, crew_link.event_id, crew_link.crew_id, crew_link.version, request.item, request.done):
        raise revoked()
    return json_response(200, view(crew_link))


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
