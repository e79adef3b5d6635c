"""The one status flow of a job. Pages get it from the API (GET /api/flow), never a copy."""

from __future__ import annotations

# (status, what the customer and the board call it, what it means for the customer)
STATUSES = (
    ("pending_pickup", "Booked", "We have your booking and will confirm your pickup window."),
    ("ready_for_pickup", "Ready for pickup", "Your pickup is confirmed: please have everything accessible."),
    ("in_progress", "On the way", "Our crew is on the job."),
    ("completed", "Done", "All cleared out. Thank you!"),
    ("cancelled", "Cancelled", "This pickup was cancelled."),
)
MAIN_PATH = ("pending_pickup", "ready_for_pickup", "in_progress", "completed")
FINAL = ("completed", "cancelled")
LABELS = {status: label for status, label, _ in STATUSES}
MEANINGS = {status: meaning for status, _, meaning in STATUSES}


def allowed_moves(status: str) -> tuple[str, ...]:
    """Forward one step along the main path, or cancel from any state that is not final."""
    if status in FINAL:
        return ()
    following = MAIN_PATH[MAIN_PATH.index(status) + 1]
    return (following, "cancelled")


def can_move(from_status: str, to_status: str) -> bool:
    return from_status in LABELS and to_status in allowed_moves(from_status)


def steps(status: str) -> list[dict]:
    """The customer's progress: the main path, each step done, current or to come."""
    if status == "cancelled":
        return [{"status": "cancelled", "label": LABELS["cancelled"], "state": "current"}]
    position = MAIN_PATH.index(status)
    return [
        {"status": s, "label": LABELS[s], "state": "done" if i < position else "current" if i == position else "todo"}
        for i, s in enumerate(MAIN_PATH)
    ]


def describe() -> dict:
    """The flow as the pages use it: columns in order, and the moves each allows."""
    return {
        "statuses": [{"status": s, "label": label, "meaning": meaning, "final": s in FINAL} for s, label, meaning in STATUSES],
        "moves": {s: list(allowed_moves(s)) for s, _, _ in STATUSES},
        "initial": MAIN_PATH[0],
    }
