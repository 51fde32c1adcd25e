"""Pure roadmap: quick wins on the biggest pain first, then value order, within capacity."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.prioritizer.roadmap import DEFAULT_EFFORT_DAYS, RoadmapItem, effort_days, plan


def item(demand_id: str, score: float, pain: float, effort: int | None) -> RoadmapItem:
    return RoadmapItem(demand_id, demand_id.upper(), "c1", score, pain, effort)


def ids(entries) -> list[str]:
    return [entry["demand_id"] for entry in entries]


def test_quick_wins_by_pain_then_the_rest_by_value_filling_now_then_next():
    items = [item("big", 0.9, 0.5, 20), item("quick_low", 0.2, 0.2, 2),
             item("quick_high", 0.3, 0.9, 4), item("unknown", 0.7, 0.6, None),
             item("huge", 0.95, 0.9, 60)]
    result = plan(items, capacity_days=16)
    assert ids(result["now"]) == ["quick_high", "quick_low", "unknown"]
    assert ids(result["next"]) == []
    assert ids(result["later"]) == ["huge", "big"]
    assert result["now"][2]["effort_days"] == DEFAULT_EFFORT_DAYS
    assert result["now"][0]["quick_win"] and not result["now"][2]["quick_win"]
    roomy = plan(items, capacity_days=30)
    assert ids(roomy["now"]) == ["quick_high", "quick_low", "big"]
    assert ids(roomy["next"]) == ["unknown"] and ids(roomy["later"]) == ["huge"]


items_strategy = st.lists(st.builds(
    RoadmapItem, demand_id=st.uuids().map(str), title=st.just("t"), customer_id=st.just("c"),
    score=st.floats(0, 1), pain=st.floats(0, 1), effort_estimate=st.integers(1, 100) | st.none()),
    max_size=30, unique_by=lambda i: i.demand_id)


@given(items_strategy, st.integers(1, 120))
def test_every_item_is_placed_once_and_no_bucket_overflows(items, capacity):
    result = plan(items, capacity)
    placed = ids(result["now"]) + ids(result["next"]) + ids(result["later"])
    assert sorted(placed) == sorted(i.demand_id for i in items)
    for bucket in ("now", "next"):
        assert sum(entry["effort_days"] for entry in result[bucket]) <= capacity
    for entry in result["later"]:
        assert entry["effort_days"] >= 1
    assert all(effort_days(i) >= 1 for i in items)
