"""Contract §6: which topic carries each event type. Types are explicit strings, never class names."""

from __future__ import annotations

TOPICS: dict[str, tuple[str, ...]] = {
    "pmo.intake.customer.v1": ("pmo.customer.registered", "pmo.customer.updated"),
    "pmo.intake.demand.v1": (
        "pmo.demand.submitted",
        "pmo.demand.updated",
        "pmo.demand.status_changed",
        "pmo.demand.endorsed",
    ),
    "pmo.catalog.function.v1": ("pmo.function.created",),
    "pmo.catalog.service.v1": (
        "pmo.service.proposed",
        "pmo.service.updated",
        "pmo.service.lifecycle_changed",
    ),
    "pmo.feedback.response.v1": (
        "pmo.feedback.submitted",
        "pmo.feedback.detractor_flagged",
        "pmo.feedback.alert_updated",  # added to v1: an alert assigned or resolved
    ),
    "pmo.prioritizer.priority.v1": ("pmo.demand.reprioritized", "pmo.recommendation.changed"),
}

TOPIC_OF_TYPE: dict[str, str] = {
    event_type: topic for topic, types in TOPICS.items() for event_type in types
}

DLQ_SUFFIX = ".dlq"


def topic_for(event_type: str) -> str:
    """The contract topic of an event type; an unknown type is a programming error."""
    try:
        return TOPIC_OF_TYPE[event_type]
    except KeyError:
        raise ValueError(f"event type {event_type!r} is not in the contract") from None


def dead_letter_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX
