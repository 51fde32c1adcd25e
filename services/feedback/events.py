"""What feedback publishes: contract §6 types, each carrying the full aggregate."""

from __future__ import annotations

from services.feedback.models import AlertRow, ResponseRow
from services.feedback.schemas import AlertOut, ResponseOut
from shared.events import CloudEvent, new_event

SOURCE = "feedback"

FEEDBACK_SUBMITTED = "pmo.feedback.submitted"
DETRACTOR_FLAGGED = "pmo.feedback.detractor_flagged"
ALERT_UPDATED = "pmo.feedback.alert_updated"


def response_event(response: ResponseRow, actor: str) -> CloudEvent:
    """A response is written once, so its aggregate version is always 1; data carries the segment."""
    data = ResponseOut.model_validate(response).model_dump(mode="json") | {"actor": actor}
    return new_event(SOURCE, FEEDBACK_SUBMITTED, response.id, data, 1)


def alert_event(event_type: str, alert: AlertRow, actor: str) -> CloudEvent:
    """An alert event; `overdue` is left out because it depends on when it is read."""
    data = AlertOut.model_validate(alert).model_dump(mode="json", exclude={"overdue"})
    return new_event(SOURCE, event_type, alert.id, data | {"actor": actor}, alert.version)
