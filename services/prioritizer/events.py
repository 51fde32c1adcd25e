"""What the prioritizer publishes: every score change, with the event that caused it."""

from __future__ import annotations

from services.prioritizer.models import DemandView
from shared.events import CloudEvent, new_event

SOURCE = "prioritizer"
DEMAND_REPRIORITIZED = "pmo.demand.reprioritized"


def reprioritized(row: DemandView, previous_score: float | None, cause_event_id: str | None,
                  cause_type: str) -> CloudEvent:
    """`aggregateversion` counts the demand's score changes, so consumers keep the newest."""
    data = {
        "demand_id": row.id, "customer_id": row.customer_id, "title": row.title,
        "status": row.status, "segment": row.segment, "score": row.score,
        "previous_score": previous_score, "policy_version": row.explanation["policy_version"],
        "factors": [{key: factor[key] for key in ("name", "value", "weight", "contribution")}
                    for factor in row.explanation["factors"]],
        "cause": {"event_id": cause_event_id, "type": cause_type},
    }
    return new_event(SOURCE, DEMAND_REPRIORITIZED, row.id, data, row.score_version)
