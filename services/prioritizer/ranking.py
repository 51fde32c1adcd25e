"""Rescoring what an event touches: one customer's open items are ordered to find each one's
position for volume dampening, then scored. Pure: inputs in, scores out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.prioritizer.scoring import DemandInput, Policy, Score, at_position, undamped_factors


@dataclass(frozen=True)
class Ranked:
    demand_id: str
    position: int
    score: Score


def score_customer_items(items: Iterable[DemandInput], policy: Policy,
                         as_of: Mapping[str, datetime]) -> list[Ranked]:
    """Scores one customer's open items: the most valuable first, each later one dampened more.

    Ordering by the undamped value (not by arrival) means a new low-value item can never push
    down the customer's own better items, and its own weight shrinks with every item before it.
    """
    items = list(items)
    undamped = {item.demand_id: undamped_factors(item, policy, as_of[item.demand_id])
                for item in items}
    base = {demand_id: sum(factor.contribution for factor in factors)
            for demand_id, factors in undamped.items()}
    ordered = sorted(items, key=lambda item: (-round(base[item.demand_id], 6), item.submitted_at,
                                              item.demand_id))
    return [Ranked(item.demand_id, position, at_position(undamped[item.demand_id], position, policy))
            for position, item in enumerate(ordered, start=1)]


def top_contributor_share(score: Score) -> float:
    """The share of the positive score that its single largest factor brings (0..1)."""
    positive = [factor.contribution for factor in score.factors if factor.contribution > 0]
    total = sum(positive)
    return round(max(positive) / total, 4) if total else 0.0
