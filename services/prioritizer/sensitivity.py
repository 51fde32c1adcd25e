"""How much the top of the ranking depends on each weight. Pure: stored factor values in, nothing
rewritten.

Every open item's stored factor values are re-weighted with one weight moved ±10%: its undamped
score is Σ weight × value over the undamped factors, each customer's items are re-ordered by it
(as ranking.score_customer_items does), and the volume dampening is re-applied at the new
positions. The baseline is the same recomputation with the current weights, so a difference is
the weight's effect alone, not rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.prioritizer.scoring import DAMPENING, dampening_scale, dampening_value

STEP = 0.10


@dataclass(frozen=True)
class StoredItem:
    demand_id: str
    customer_id: str
    submitted_at: datetime
    values: Mapping[str, float]  # factor name → stored value (0..1)


def scores_under(items: Iterable[StoredItem], weights: Mapping[str, float]) -> dict[str, float]:
    """Every item's score under `weights`, dampening re-applied at the new own positions."""
    names = [name for name in weights if name != DAMPENING]
    vector = [weights[name] for name in names]
    by_customer: dict[str, list[tuple[float, StoredItem]]] = {}
    for item in items:
        base = sum(w * item.values.get(name, 0.0) for w, name in zip(vector, names))
        by_customer.setdefault(item.customer_id, []).append((base, item))
    damp_weight, scale = weights.get(DAMPENING, 0.0), dampening_scale(weights)
    scores = {}
    for entries in by_customer.values():
        if len(entries) > 1:
            entries.sort(key=lambda e: (-e[0], e[1].submitted_at, e[1].demand_id))
        for position, (base, item) in enumerate(entries, start=1):
            scores[item.demand_id] = base + damp_weight * dampening_value(position, base, weights,
                                                                          scale)
    return scores


def ranking(scores: Mapping[str, float]) -> list[str]:
    """Highest score first, ties by id (as the ranking endpoint orders)."""
    return sorted(scores, key=lambda demand_id: (-round(scores[demand_id], 6), demand_id))


def sensitivity(items: list[StoredItem], weights: Mapping[str, float],
                top_n: int = 10) -> dict[str, Any]:
    """For each weight moved ±10%: how many of the top N stay, which enter or leave, and how far the
    baseline top N move (mean and largest rank displacement)."""
    baseline = ranking(scores_under(items, weights))
    top = baseline[:top_n]
    report = []
    for name in sorted(weights):
        changes = []
        for direction, factor in (("+10%", 1 + STEP), ("-10%", 1 - STEP)):
            moved = {**weights, name: weights[name] * factor}
            changes.append(_compare(direction, moved[name], top, ranking(scores_under(items, moved)),
                                    top_n))
        report.append({"factor": name, "weight": weights[name], "changes": changes})
    report.sort(key=lambda r: (-max(c["mean_displacement"] for c in r["changes"]), r["factor"]))
    return {"top_n": top_n, "items_considered": len(items), "baseline_top": top, "weights": report,
            "most_sensitive": report[0]["factor"] if report and top else None}


def _compare(direction: str, weight: float, top: list[str], moved: list[str], top_n: int) -> dict:
    new_top = moved[:top_n]
    position = {demand_id: rank for rank, demand_id in enumerate(moved, start=1)}
    displacement = [abs(position[demand_id] - rank) for rank, demand_id in enumerate(top, start=1)]
    overlap = len(set(top) & set(new_top))
    return {"direction": direction, "weight": round(weight, 6), "overlap": overlap,
            "overlap_share": round(overlap / len(top), 4) if top else 1.0,
            "entered": [d for d in new_top if d not in set(top)],
            "left": [d for d in top if d not in set(new_top)],
            "mean_displacement": round(sum(displacement) / len(top), 4) if top else 0.0,
            "max_displacement": max(displacement, default=0)}
