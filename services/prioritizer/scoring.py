"""Score = Σ weight × factor, every factor in 0..1 and explained. Pure: no I/O, no clock.

A score depends only on the item and on explicit shared signals (the customers behind it, its
endorsements, the satisfaction of its service, its place among its own customer's open items),
never on whatever else happens to be in the list, so unrelated arrivals never move it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timedelta
from typing import Any

from services.prioritizer.domain import ENABLEMENT_FUNCTIONS

AGE_HORIZON_DAYS = 180
REACH_HORIZON = 10_000
MAX_EFFORT_DAYS = 100
# Four distinct customers saturate the repeat-demand signal; beyond that it is already shared.
CUSTOMERS_FOR_FULL_REPEAT = 4
SEGMENTS_FOR_FULL_REPEAT = 3
NEUTRAL = 0.5
NEUTRAL_IMPORTANCE = 3
MAX_LISTED_CUSTOMERS = 50
DAMPENING = "volume_dampening"
AGE = "age"


@dataclass(frozen=True)
class Backer:
    """A customer behind a demand, as the requester or an endorser."""

    customer_id: str
    segment: str | None
    strategic_importance: int | None
    maturity: int | None = None


@dataclass(frozen=True)
class ServiceSatisfaction:
    responses: int
    csat_avg: float
    perceived_value_avg: float


@dataclass(frozen=True)
class DemandInput:
    """Everything one demand's score is computed from."""

    demand_id: str
    kind: str
    function_code: str | None
    severity: int
    urgency: int
    reach: int
    effort_estimate: int | None
    submitted_at: datetime
    requester: Backer
    endorsers: tuple[Backer, ...] = ()
    own_position: int = 1  # 1 = this customer's most valuable open item
    satisfaction: ServiceSatisfaction | None = None
    # Customers behind the open demands detected as the same need (see grouping.py).
    similar: tuple[Backer, ...] = ()


@dataclass(frozen=True)
class Policy:
    version: int
    weights: Mapping[str, float]
    segment_weights: Mapping[str, float]

    @cached_property
    def dampening_scale(self) -> float:
        """Computed once per policy, not once per scored item."""
        return dampening_scale(self.weights)

    @cached_property
    def factors_seen(self) -> dict[tuple, "Factor"]:
        """Factors already computed under this policy, by name and the inputs they depend on
        (undamped_factors). Lives as long as the policy: one rescore, as handlers load it."""
        return {}


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    weight: float
    contribution: float
    inputs: dict[str, Any] = field(default_factory=dict)
    explanation: str = ""


@dataclass(frozen=True)
class Score:
    score: float
    factors: tuple[Factor, ...]
    policy_version: int

    def as_dict(self) -> dict[str, Any]:
        # Each factor's dict is its own __dict__, shared with every explanation that holds the
        # same memoised Factor (undamped_factors): readers must never change one in place.
        return {"score": self.score, "policy_version": self.policy_version,
                "factors": [vars(factor) for factor in self.factors]}


def score_demand(item: DemandInput, policy: Policy, as_of: datetime) -> Score:
    """The score of one demand under a policy, as of a moment given by the caller (an event's time)."""
    return at_position(undamped_factors(item, policy, as_of), item.own_position, policy)


def undamped_factors(item: DemandInput, policy: Policy, as_of: datetime) -> tuple[Factor, ...]:
    """Every factor but the volume dampening, which depends on the item's place among its
    customer's items: ranking.py orders those by the sum of these first.

    A factor is a function of a few of the item's inputs (its pain of severity and urgency, its
    strategic importance of its backers), so within one policy the same inputs give the same
    Factor: it is computed once and shared, which is most of the work when a customer's change
    rescores thousands of its items. The age depends on the moment too, so it is shared by the
    whole days waiting.
    """
    memo = policy.factors_seen
    factors = []
    for name, inputs_of, compute in _FACTORS:
        if inputs_of is None:
            days = days_waiting(item, as_of)
            factor = memo.get((name, days))
            if factor is None:
                factor = memo[(name, days)] = _factor(name, *age(days), policy.weights)
            factors.append(factor)
            continue
        key = (name, inputs_of(item))
        factor = memo.get(key)
        if factor is None:
            factor = memo[key] = _factor(name, *compute(item, policy), policy.weights)
        factors.append(factor)
    return tuple(factors)


def _factor(name: str, value: float, inputs: dict[str, Any], explanation: str,
            weights: Mapping[str, float]) -> Factor:
    weight = float(weights.get(name, 0.0))
    value = round(_clamp(value), 6)
    return Factor(name, value, weight, round(weight * value, 6), inputs, explanation)


def at_position(undamped: tuple[Factor, ...], position: int, policy: Policy) -> Score:
    """The score from the undamped factors, with the dampening of the customer's k-th item added."""
    factors = [factor for factor in undamped if factor.name != DAMPENING]
    base = sum(factor.contribution for factor in factors)
    value, inputs, explanation = volume_dampening(position, base, policy.weights,
                                                  policy.dampening_scale)
    weight = float(policy.weights.get(DAMPENING, 0.0))
    factors.append(Factor(DAMPENING, value, weight, round(weight * value, 6), inputs, explanation))
    total = round(sum(factor.contribution for factor in factors), 6)
    return Score(total, tuple(factors), policy.version)


def strategic_importance(item: DemandInput):
    # A customer not heard of yet counts as middling, so learning of a backer never lowers a score.
    ratings = [b.strategic_importance or NEUTRAL_IMPORTANCE for b in _backers(item)]
    top = max(ratings)
    known = sum(1 for b in _backers(item) if b.strategic_importance)
    source = _backers(item)[ratings.index(top)].customer_id  # the requester wins a tie
    return ((top - 1) / 4, {"highest_importance": top, "customers_known": known,
                            "customer_id": source},
            f"most important customer behind it rates {top} of 5")


def segment_weight(item: DemandInput, segment_weights: Mapping[str, float]):
    segments = sorted({b.segment for b in _backers(item) if b.segment})
    weights = [segment_weights.get(b.segment, 0.0) if b.segment else NEUTRAL for b in _backers(item)]
    best = max(weights)
    source = _backers(item)[weights.index(best)].customer_id
    return (best, {"segments": segments, "customer_id": source},
            f"best segment weight {best:.2f} among {', '.join(segments) or 'unknown segments'}")


def pain(item: DemandInput):
    value = 0.6 * (item.severity - 1) / 4 + 0.4 * (item.urgency - 1) / 4
    return (value, {"severity": item.severity, "urgency": item.urgency},
            f"severity {item.severity}/5, urgency {item.urgency}/5")


def reach(item: DemandInput):
    value = math.log10(max(item.reach, 1)) / math.log10(REACH_HORIZON)
    return (value, {"people_affected": item.reach},
            f"{item.reach} people affected (log scale, {REACH_HORIZON} saturates)")


def repeat_demand(item: DemandInput):
    """Distinct customers and segments with the need, log-scaled: shared needs beat repeated asks.

    The need's backers are its requester, its endorsers and the customers behind the open demands
    detected as the same need; counting distinct customers means one customer's many similar
    items add nothing here.
    """
    backers = (*_backers(item), *item.similar)
    customer_ids = sorted({b.customer_id for b in backers})
    customers = len(customer_ids)
    segments = len({b.segment for b in backers if b.segment})
    by_customers = min(1.0, math.log2(customers) / math.log2(CUSTOMERS_FOR_FULL_REPEAT))
    by_segments = min(1.0, max(segments - 1, 0) / (SEGMENTS_FOR_FULL_REPEAT - 1))
    return (0.6 * by_customers + 0.4 * by_segments,
            {"distinct_customers": customers, "distinct_segments": segments,
             "endorsements": len(item.endorsers), "customer_ids": customer_ids[:MAX_LISTED_CUSTOMERS]},
            f"{customers} customer(s) in {segments} segment(s) share this need"
            + (", counting similar open demand" if item.similar else ""))


def satisfaction_gap(item: DemandInput):
    signal = item.satisfaction
    if signal is None or signal.responses == 0:
        return 0.0, {"responses": 0}, "no feedback on the service concerned"
    gap = 0.5 * (5 - signal.csat_avg) / 4 + 0.5 * (5 - signal.perceived_value_avg) / 4
    return (gap, {"responses": signal.responses, "csat_avg": signal.csat_avg,
                  "perceived_value_avg": signal.perceived_value_avg},
            f"service rated {signal.csat_avg:.1f} CSAT, {signal.perceived_value_avg:.1f} value")


def effort(item: DemandInput):
    """Quick wins first: one person-day scores 1, a hundred score 0, unknown is neutral."""
    if item.effort_estimate is None:
        return NEUTRAL, {"effort_estimate": None}, "effort not estimated yet"
    value = 1 - math.log(item.effort_estimate) / math.log(MAX_EFFORT_DAYS)
    return (value, {"effort_estimate": item.effort_estimate},
            f"{item.effort_estimate} person-day(s) of PMO effort")


def days_waiting(item: DemandInput, as_of: datetime) -> int:
    """Whole days waiting. Counted by the second, a rescore minutes after the last one moved
    the scores of a customer's top items a little, each a published score change with no change
    of priority; by the day, age moves a score at most once a day and nothing starves."""
    return max((as_of - item.submitted_at) // timedelta(days=1), 0)


def age(days: int):
    return (days / AGE_HORIZON_DAYS, {"days_waiting": days},
            f"waiting {days} day(s); {AGE_HORIZON_DAYS} saturates")


def maturity_fit(item: DemandInput):
    """Low maturity fits coaching and onboarding; high maturity fits self-service and new capability."""
    maturity = item.requester.maturity
    if maturity is None:
        return NEUTRAL, {"maturity": None}, "customer maturity unknown"
    enablement = item.function_code in ENABLEMENT_FUNCTIONS or item.kind == "support_request"
    preferred = 1 if enablement else 5
    value = 1 - abs(maturity - preferred) / 4
    kind = "enablement" if enablement else "capability"
    return (value, {"maturity": maturity, "demand_type": kind},
            f"maturity {maturity}/5 for a {kind} need")


# Exactly 1/k for a customer's first few items; beyond them the share steps down at each doubling.
EXACT_POSITIONS = 4


def counted_position(position: int) -> int:
    """The position an item's dampening counts it at: its own among a customer's first
    EXACT_POSITIONS open items, beyond them the end of its band (5–8 count as 8th, 9–16 as 16th,
    …). Never below the position, so the k-th item keeps at most 1/k of its value. Bands are why
    a customer's new item moves few other scores: an item pushed one place down changes its
    dampening only when it crosses into the next band, so one arrival rescores its own item, the
    first few and at most one item per doubling (ten at a thousand items), not every item below
    it — each a published score change (contract §5)."""
    k = max(position, 1)
    return k if k <= EXACT_POSITIONS else 1 << (k - 1).bit_length()


def position_band(position: int) -> tuple[int, int]:
    """The positions that count as `counted_position(position)`: (first, last)."""
    last = counted_position(position)
    return (last, last) if last <= EXACT_POSITIONS else (last // 2 + 1, last)


def volume_dampening(position: int, base: float, weights: Mapping[str, float],
                     scale: float | None = None):
    """The k-th most valuable open item of one customer keeps at most 1/k of its value.

    value = (1 - 1/K) × base / N, where K is the position it counts as (counted_position: k
    itself for the first few, the end of its band beyond), base the score before dampening and N
    the larger of the positive weights' sum and the dampening weight, so the value stays in 0..1,
    the score never goes below 0 and never falls when base rises. With the default policy
    (positive weights summing to 1, dampening -1) the k-th item scores exactly base / K ≤ base / k:
    a customer's items above any score t number at most best_base / t, however many it submits.

    The explanation names the band, not the exact place: a place that moved within its band
    leaves the score and its explanation as they were, so nothing is rewritten for it.
    """
    first, last = position_band(position)
    return (dampening_value(position, base, weights, scale),
            {"position_band": [first, last], "counted_as_position": last,
             "undamped_score": round(base, 6)},
            "the customer's most valuable open item" if last == 1
            else f"the customer's #{last} open item, dampened" if first == last
            else f"one of the customer's #{first}–#{last} open items, dampened as #{last}")


def dampening_value(position: int, base: float, weights: Mapping[str, float],
                    scale: float | None = None) -> float:
    """The dampening factor's value for an item at `position` whose undamped score is `base`."""
    scale = dampening_scale(weights) if scale is None else scale
    return round(_clamp((1 - 1 / counted_position(position)) * base / scale), 6)


def dampening_scale(weights: Mapping[str, float]) -> float:
    """N: the larger of the positive weights' sum and |dampening weight|."""
    positive = sum(w for name, w in weights.items() if name != DAMPENING and w > 0)
    return max(positive, abs(weights.get(DAMPENING, 0.0)), 1e-9)


def base_value(item: DemandInput, policy: Policy, as_of: datetime) -> float:
    """The score before dampening: orders one customer's own items to find each one's position."""
    undamped = DemandInput(**{**vars(item), "own_position": 1})
    return score_demand(undamped, policy, as_of).score


def _backers(item: DemandInput) -> tuple[Backer, ...]:
    return (item.requester, *item.endorsers)


# Each factor in the order explanations list them, with the inputs it depends on (its key in
# `Policy.factors_seen`) and how it is computed; the age depends on the moment (see above).
_FACTORS = (
    ("strategic_importance", _backers, lambda item, _: strategic_importance(item)),
    ("segment_weight", _backers, lambda item, policy: segment_weight(item, policy.segment_weights)),
    ("pain", lambda item: (item.severity, item.urgency), lambda item, _: pain(item)),
    ("reach", lambda item: item.reach, lambda item, _: reach(item)),
    ("repeat_demand", lambda item: (_backers(item), item.similar),
     lambda item, _: repeat_demand(item)),
    ("satisfaction_gap", lambda item: item.satisfaction, lambda item, _: satisfaction_gap(item)),
    ("effort", lambda item: item.effort_estimate, lambda item, _: effort(item)),
    (AGE, None, None),
    ("maturity_fit", lambda item: (item.requester.maturity, item.function_code, item.kind),
     lambda item, _: maturity_fit(item)),
)


def _clamp(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value
