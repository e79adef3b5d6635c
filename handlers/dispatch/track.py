"""Public, read-only: `GET /api/track/{token}` (what a tracking link shows) and `GET /api/flow`
(the status flow the pages draw). Never cached: a status set a moment ago is what it shows."""

from __future__ import annotations

import re

from handlers.dispatch import flow, storage
from handlers.shared.errors import not_found
from handlers.shared.http import json_response, logger, make_api
from handlers.shared.settings import HttpSettings, table

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


class TrackSettings(HttpSettings):
    jobs_table = table("jobs")


settings = TrackSettings.load()
app = make_api(settings.origin_verify_secret)


@app.get("/api/track/<token>")
def track(token: str):
    public = storage.tracking(settings.jobs_table, token) if TOKEN.match(token) else None
    if public is None:
        raise not_found("That tracking link")
    from handlers.dispatch.models import TrackingView

    status = public["status"]
    view = TrackingView(
        status=status,
        label=flow.LABELS[status],
        meaning=flow.MEANINGS[status],
        steps=flow.steps(status),
        date=public["preferred_date"],
        window=public["window"],
        updated_at=public["updated_at"],
    )
    return json_response(200, view.model_dump())


@app.get("/api/flow")
def status_flow():
    return json_response(200, flow.describe())


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
