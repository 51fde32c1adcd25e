"""What the prioritizer publishes: every score change, with the event that caused it."""

from __future__ import annotations

from services.prioritizer.models import RecommendationRow
from services.prioritizer.scoring import Score
from shared.events import CloudEvent, new_event

SOURCE = "prioritizer"
DEMAND_REPRIORITIZED = "pmo.demand.reprioritized"
RECOMMENDATION_CHANGED = "pmo.recommendation.changed"


def reprioritized(demand, score: Score, segment: str | None, score_version: int,
                  previous_score: float | None, cause_event_id: str | None, cause_type: str,
                  cause_actor: str | None = None, traceparent: str | None = None) -> CloudEvent:
    """A demand's new score: `demand` gives its id, customer, title and status. `aggregateversion`
    is its score version, which counts the demand's score changes, so consumers keep the newest;
    the trace is the cause's, which may not be the current one when scores settle at a commit."""
    data = {
        "demand_id": demand.id, "customer_id": demand.customer_id, "title": demand.title,
        "status": demand.status, "segment": segment, "score": score.score,
        "previous_score": previous_score, "policy_version": score.policy_version,
        "factors": [{"name": factor.name, "value": factor.value, "weight": factor.weight,
                     "contribution": factor.contribution} for factor in score.factors],
        "cause": {"event_id": cause_event_id, "type": cause_type, "actor": cause_actor},
    }
    return new_event(SOURCE, DEMAND_REPRIORITIZED, demand.id, data, score_version, traceparent)


def recommendation_changed(row: RecommendationRow, previous_action: str | None,
                           withdrawn: bool = False) -> CloudEvent:
    """A recommendation whose action or rationale changed; `withdrawn` when it no longer applies
    (a demand group that dissolved or became covered). Subject: the service or group id."""
    data = {"id": row.id, "subject_kind": row.subject_kind, "service_id": row.service_id,
            "action": row.action, "previous_action": previous_action, "withdrawn": withdrawn,
            "rationale": row.rationale, "signals": row.signals,
            "updated_at": row.updated_at.isoformat().replace("+00:00", "Z")}
    return new_event(SOURCE, RECOMMENDATION_CHANGED, row.id, data, row.version)
