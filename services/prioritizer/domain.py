"""prioritizer's vocabulary: segments, open statuses and the default policy. Pure, no I/O."""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class Segment(StrEnum):
    EXECUTIVE = "executive"
    PROGRAM_LEADER = "program_leader"
    DELIVERY_TEAM = "delivery_team"
    FUNCTIONAL_PARTNER = "functional_partner"
    OTHER = "other"


OPEN_STATUSES = frozenset({"submitted", "triaged", "planned"})

# Positive weights add up to 1, so a score without dampening lies in 0..1; dampening -1 matches
# that sum, so a customer's k-th open item keeps at most 1/k of its value (scoring.volume_dampening).
DEFAULT_WEIGHTS = MappingProxyType({
    "strategic_importance": 0.16,
    "segment_weight": 0.08,
    "pain": 0.18,
    "reach": 0.10,
    "repeat_demand": 0.16,
    "satisfaction_gap": 0.08,
    "effort": 0.10,
    "age": 0.06,
    "maturity_fit": 0.08,
    "volume_dampening": -1.0,
})

DEFAULT_SEGMENT_WEIGHTS = MappingProxyType({
    Segment.EXECUTIVE.value: 1.0,
    Segment.PROGRAM_LEADER.value: 0.8,
    Segment.DELIVERY_TEAM.value: 0.7,
    Segment.FUNCTIONAL_PARTNER.value: 0.6,
    Segment.OTHER.value: 0.4,
})

FACTOR_NAMES = tuple(DEFAULT_WEIGHTS)
# Functions whose services build capability: they fit low-maturity customers best.
ENABLEMENT_FUNCTIONS = frozenset({"training", "methods", "knowledge"})


def policy_problems(weights: dict[str, float], segment_weights: dict[str, float]) -> list[tuple[str, str]]:
    """What is wrong with a proposed policy, as (field, message) pairs; empty when it is sound."""
    problems = []
    for name in weights:
        if name not in DEFAULT_WEIGHTS:
            problems.append((f"weights.{name}", f"unknown factor; known: {', '.join(FACTOR_NAMES)}"))
    for name, value in weights.items():
        if name == "volume_dampening" and not -1.0 <= value <= 0.0:
            problems.append((f"weights.{name}", "volume_dampening must lie in -1..0"))
        elif name != "volume_dampening" and not 0.0 <= value <= 1.0:
            problems.append((f"weights.{name}", "a factor weight must lie in 0..1"))
    for name, value in segment_weights.items():
        if name not in DEFAULT_SEGMENT_WEIGHTS:
            problems.append((f"segment_weights.{name}", "unknown segment"))
        elif not 0.0 <= value <= 1.0:
            problems.append((f"segment_weights.{name}", "a segment weight must lie in 0..1"))
    return problems
