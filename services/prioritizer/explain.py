"""Accountability for one score: whose voice it rests on, and what would move it. Pure.

`largest_customer_share` attributes the positive contributions to customers: strategic importance
and segment weight to the backer they came from, repeat demand evenly to the distinct customers
behind the need, every other factor (pain, reach, effort, age, maturity fit, satisfaction gap of
its service) to the requester, whose demand it is. The share is the largest customer's part.

`what_would_move_it` re-scores the item with one input changed at a time, through the same pure
scoring and per-customer ranking, holding every other item where it stands, and reports the
smallest change that lifts it past the item now at the target rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.prioritizer.domain import Segment
from services.prioritizer.ranking import score_customer_items
from services.prioritizer.scoring import (
    DAMPENING,
    MAX_EFFORT_DAYS,
    NEUTRAL_IMPORTANCE,
    REACH_HORIZON,
    Backer,
    DemandInput,
    Factor,
    Policy,
)

CUSTOMER_FACTORS = ("strategic_importance", "segment_weight", "repeat_demand")
MAX_EXTRA_ENDORSEMENTS = 10
EPSILON = 1e-6


def customer_shares(factors: Iterable[Factor], requester_id: str) -> dict[str, float]:
    """Each customer's share (0..1) of the positive score, as attributed above."""
    owed: dict[str, float] = {}
    for factor in factors:
        if factor.contribution <= 0:
            continue
        for customer_id, part in _owners(factor, requester_id).items():
            owed[customer_id] = owed.get(customer_id, 0.0) + factor.contribution * part
    total = sum(owed.values())
    return {cid: round(value / total, 4) for cid, value in sorted(owed.items())} if total else {}


def largest_customer_share(factors: Iterable[Factor], requester_id: str) -> float:
    shares = customer_shares(factors, requester_id)
    return max(shares.values()) if shares else 0.0


def _owners(factor: Factor, requester_id: str) -> dict[str, float]:
    if factor.name == "repeat_demand" and factor.inputs.get("customer_ids"):
        ids = factor.inputs["customer_ids"]
        return {cid: 1 / len(ids) for cid in ids}
    if factor.name in CUSTOMER_FACTORS and factor.inputs.get("customer_id"):
        return {factor.inputs["customer_id"]: 1.0}
    return {requester_id: 1.0}


def what_would_move_it(item_id: str, own_items: list[DemandInput], policy: Policy,
                       as_of: Mapping[str, datetime], others_scores: list[float],
                       target_rank: int = 10) -> dict[str, Any]:
    """How the item stands against the target rank, and the levers that would get it there.

    `own_items` are the open items of the item's customer (the item among them); `others_scores`
    are the scores of every other open item, highest first, held fixed.
    """
    current = _score_of(item_id, own_items, policy, as_of)
    bar = others_scores[target_rank - 1] if len(others_scores) >= target_rank else None
    answer: dict[str, Any] = {"target_rank": target_rank, "score": current,
                              "target_score": bar, "in_target": bar is None or current > bar}
    answer["gap"] = 0.0 if answer["in_target"] else round(bar - current + EPSILON, 6)
    if answer["in_target"]:
        answer["levers"] = []
        return answer
    item = next(i for i in own_items if i.demand_id == item_id)
    answer["levers"] = [lever for lever in (
        _endorsements(item, own_items, policy, as_of, bar),
        _first_int("severity", item, range(item.severity + 1, 6), own_items, policy, as_of, bar),
        _first_int("urgency", item, range(item.urgency + 1, 6), own_items, policy, as_of, bar),
        _least_reach(item, own_items, policy, as_of, bar),
        _largest_effort(item, own_items, policy, as_of, bar),
        _as_top_item(item, own_items, policy, as_of, bar),
    ) if lever is not None] + _factor_levers(item_id, own_items, policy, as_of, bar - current)
    return answer


def _score_of(item_id: str, own_items: list[DemandInput], policy: Policy,
              as_of: Mapping[str, datetime]) -> float:
    ranked = score_customer_items(own_items, policy, as_of)
    return next(r.score.score for r in ranked if r.demand_id == item_id)


def _with(item: DemandInput, own_items: list[DemandInput], **changes) -> list[DemandInput]:
    changed = replace(item, **changes)
    return [changed if other.demand_id == item.demand_id else other for other in own_items]


def _lever(lever: str, description: str, before: Any, after: Any, score: float) -> dict[str, Any]:
    return {"lever": lever, "description": description, "current": before, "needed": after,
            "resulting_score": score}


def _endorsements(item, own_items, policy, as_of, bar):
    """Endorsements from new customers, each from a segment not yet behind the need while any is left."""
    present = {b.segment for b in (item.requester, *item.endorsers, *item.similar) if b.segment}
    missing = [s.value for s in Segment if s.value not in present] or [None]
    extra: list[Backer] = []
    for count in range(1, MAX_EXTRA_ENDORSEMENTS + 1):
        segment = missing[(count - 1) % len(missing)]
        extra.append(Backer(f"hypothetical-{count}", segment, NEUTRAL_IMPORTANCE, None))
        trial = _with(item, own_items, endorsers=(*item.endorsers, *extra))
        score = _score_of(item.demand_id, trial, policy, as_of)
        if score > bar:
            segments = sorted({b.segment for b in extra if b.segment})
            where = f" from {', '.join(segments)}" if segments else ""
            return _lever("endorsements", f"{count} more endorsement(s) from other customers{where} "
                          f"(importance {NEUTRAL_IMPORTANCE})", len(item.endorsers),
                          len(item.endorsers) + count, score)
    return None


def _first_int(name: str, item, values: Iterable[int], own_items, policy, as_of, bar):
    for value in values:
        score = _score_of(item.demand_id, _with(item, own_items, **{name: value}), policy, as_of)
        if score > bar:
            return _lever(name, f"{name} raised from {getattr(item, name)} to {value}",
                          getattr(item, name), value, score)
    return None


def _least_reach(item, own_items, policy, as_of, bar):
    return _search("reach", item, own_items, policy, as_of, bar, item.reach + 1, REACH_HORIZON,
                   rising=True, text="people affected: at least {value}")


def _largest_effort(item, own_items, policy, as_of, bar):
    top = (item.effort_estimate or MAX_EFFORT_DAYS + 1) - 1
    return _search("effort_estimate", item, own_items, policy, as_of, bar, 1, top, rising=False,
                   text="effort estimated at {value} person-day(s) or less")


def _search(name, item, own_items, policy, as_of, bar, low, high, *, rising: bool, text: str):
    """Binary search of a monotone input: the least (rising) or largest value that passes the bar."""
    if low > high:
        return None
    def trial(value: int) -> float:
        return _score_of(item.demand_id, _with(item, own_items, **{name: value}), policy, as_of)

    best = high if rising else low
    if trial(best) <= bar:
        return None
    while low < high:
        middle = (low + high) // 2 if rising else (low + high + 1) // 2
        passes = trial(middle) > bar
        if rising:
            low, high = (low, middle) if passes else (middle + 1, high)
        else:
            low, high = (middle, high) if passes else (low, middle - 1)
    return _lever(name, text.format(value=low), getattr(item, name), low, trial(low))


def _as_top_item(item, own_items, policy, as_of, bar):
    """If the customer's items valued above it were done, it would no longer be dampened."""
    ranked = {r.demand_id: r for r in score_customer_items(own_items, policy, as_of)}
    position = ranked[item.demand_id].position
    if position == 1:
        return None
    alone = _score_of(item.demand_id, [item], policy, as_of)
    if alone <= bar:
        return None
    return _lever("own_position", f"once the customer's {position - 1} item(s) valued above it are "
                  "delivered or withdrawn", position, 1, alone)


def _factor_levers(item_id, own_items, policy, as_of, gap: float) -> list[dict[str, Any]]:
    """For each weighted factor, the value it would need, at the item's current position."""
    ranked = next(r for r in score_customer_items(own_items, policy, as_of) if r.demand_id == item_id)
    base = next(f for f in ranked.score.factors if f.name == DAMPENING).inputs["undamped_score"]
    kept = (ranked.score.score / base) if base else 1.0  # the share of base the dampening keeps
    levers = []
    for factor in ranked.score.factors:
        if factor.name == DAMPENING or factor.weight <= 0 or kept <= 0:
            continue
        needed = factor.value + (gap + EPSILON) / (factor.weight * kept)
        if needed <= 1.0:
            levers.append(_lever(f"factor:{factor.name}", f"{factor.name} factor raised from "
                                 f"{factor.value:.2f} to {needed:.2f} (all else equal)",
                                 factor.value, round(needed, 4),
                                 round(ranked.score.score + gap + EPSILON, 6)))
    return levers
