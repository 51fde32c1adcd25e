"""Pure policy sensitivity: it reproduces the stored scores, and reports each weight's effect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.prioritizer.domain import DEFAULT_SEGMENT_WEIGHTS, DEFAULT_WEIGHTS
from services.prioritizer.ranking import score_customer_items
from services.prioritizer.scoring import Backer, DemandInput, Policy
from services.prioritizer.sensitivity import StoredItem, scores_under, sensitivity

POLICY = Policy(1, dict(DEFAULT_WEIGHTS), dict(DEFAULT_SEGMENT_WEIGHTS))
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def stored(count: int = 24) -> tuple[list[StoredItem], dict[str, float]]:
    items, scores = [], {}
    for customer in range(count // 3):
        owner = Backer(f"c{customer}", "executive", customer % 5 + 1, customer % 5 + 1)
        own = [DemandInput(f"d{customer}-{i}", "pain_point", "reporting", (customer + i) % 5 + 1,
                           i % 5 + 1, 10 ** (i % 4), 1 + 7 * i, NOW - timedelta(days=customer),
                           owner) for i in range(3)]
        for ranked in score_customer_items(own, POLICY, {d.demand_id: NOW for d in own}):
            source = next(d for d in own if d.demand_id == ranked.demand_id)
            items.append(StoredItem(ranked.demand_id, owner.customer_id, source.submitted_at,
                                    {f.name: f.value for f in ranked.score.factors}))
            scores[ranked.demand_id] = ranked.score.score
    return items, scores


def test_recomputing_from_stored_values_reproduces_the_stored_scores():
    items, scores = stored()
    again = scores_under(items, POLICY.weights)
    assert all(abs(again[d] - scores[d]) < 1e-5 for d in scores)


def test_each_weight_moved_both_ways_is_reported_and_a_zero_weight_moves_nothing():
    items, _ = stored()
    report = sensitivity(items, {**POLICY.weights, "age": 0.0}, top_n=10)
    assert report["items_considered"] == len(items) and len(report["baseline_top"]) == 10
    by_factor = {w["factor"]: w for w in report["weights"]}
    assert set(by_factor) == set(DEFAULT_WEIGHTS)
    for change in by_factor["age"]["changes"]:
        assert change["overlap"] == 10 and change["mean_displacement"] == 0
    for weight in report["weights"]:
        assert [c["direction"] for c in weight["changes"]] == ["+10%", "-10%"]
        for change in weight["changes"]:
            assert change["overlap"] + len(change["left"]) == 10
    assert report["most_sensitive"] == report["weights"][0]["factor"]
    means = [max(c["mean_displacement"] for c in w["changes"]) for w in report["weights"]]
    assert means == sorted(means, reverse=True)
