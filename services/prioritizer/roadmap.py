"""A now/next/later roadmap for a customer or a segment. Pure.

Order: quick wins (estimated at QUICK_WIN_DAYS person-days or less) first, the biggest pain
first among them; then everything else in value order (score). Each item then goes, in that
order, to the first of `now` and `next` whose remaining capacity it fits, else to `later`; an
item without an estimate counts DEFAULT_EFFORT_DAYS, and never as a quick win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

QUICK_WIN_DAYS = 5
DEFAULT_EFFORT_DAYS = 10


@dataclass(frozen=True)
class RoadmapItem:
    demand_id: str
    title: str
    customer_id: str
    score: float
    pain: float  # the pain factor's value, 0..1
    effort_estimate: int | None


def plan(items: list[RoadmapItem], capacity_days: int) -> dict[str, list[dict[str, Any]]]:
    """Buckets `now`, `next` and `later`, each in the order the work should be taken up."""
    buckets: dict[str, list[dict[str, Any]]] = {"now": [], "next": [], "later": []}
    room = {"now": capacity_days, "next": capacity_days}
    for item in ordered(items):
        days = effort_days(item)
        bucket = next((name for name in ("now", "next") if days <= room[name]), "later")
        if bucket != "later":
            room[bucket] -= days
        buckets[bucket].append(_entry(item, days))
    return buckets


def ordered(items: list[RoadmapItem]) -> list[RoadmapItem]:
    quick = sorted((i for i in items if is_quick_win(i)),
                   key=lambda i: (-i.pain, -i.score, i.demand_id))
    rest = sorted((i for i in items if not is_quick_win(i)), key=lambda i: (-i.score, i.demand_id))
    return quick + rest


def is_quick_win(item: RoadmapItem) -> bool:
    return item.effort_estimate is not None and item.effort_estimate <= QUICK_WIN_DAYS


def effort_days(item: RoadmapItem) -> int:
    return item.effort_estimate if item.effort_estimate is not None else DEFAULT_EFFORT_DAYS


def _entry(item: RoadmapItem, days: int) -> dict[str, Any]:
    quick = is_quick_win(item)
    reason = (f"quick win: {days} person-day(s) for pain {item.pain:.2f}" if quick
              else f"value order: score {item.score:.3f}")
    return {"demand_id": item.demand_id, "title": item.title, "customer_id": item.customer_id,
            "score": item.score, "pain": item.pain, "effort_days": days,
            "effort_estimated": item.effort_estimate is not None, "quick_win": quick,
            "reason": reason}
