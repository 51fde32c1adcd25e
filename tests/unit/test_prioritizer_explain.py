"""Pure accountability: customer shares of a score, and levers that really lift an item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.prioritizer.domain import DEFAULT_SEGMENT_WEIGHTS, DEFAULT_WEIGHTS
from services.prioritizer.explain import customer_shares, largest_customer_share, what_would_move_it
from services.prioritizer.ranking import score_customer_items
from services.prioritizer.scoring import Backer, DemandInput, Policy, score_demand

POLICY = Policy(1, dict(DEFAULT_WEIGHTS), dict(DEFAULT_SEGMENT_WEIGHTS))
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def need(demand_id: str, requester: Backer, **extra) -> DemandInput:
    fields = {"demand_id": demand_id, "kind": "pain_point", "function_code": "reporting",
              "severity": 2, "urgency": 2, "reach": 5, "effort_estimate": 20,
              "submitted_at": NOW - timedelta(days=3), "requester": requester}
    return DemandInput(**(fields | extra))


def test_a_single_voice_owns_its_whole_score():
    score = score_demand(need("a", Backer("c1", "executive", 4, 3)), POLICY, NOW)
    assert customer_shares(score.factors, "c1") == {"c1": 1.0}


def test_a_shared_need_spreads_its_score_over_its_customers():
    shared = need("a", Backer("c1", "delivery_team", 2, 3),
                  endorsers=(Backer("c2", "executive", 5, 3), Backer("c3", "program_leader", 3, 3)))
    score = score_demand(shared, POLICY, NOW)
    shares = customer_shares(score.factors, "c1")
    assert set(shares) == {"c1", "c2", "c3"} and abs(sum(shares.values()) - 1) < 1e-3
    assert shares["c2"] > shares["c3"]  # the executive brings importance and segment weight
    assert largest_customer_share(score.factors, "c1") == max(shares.values()) < 1.0


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 100), st.integers(1, 4))
@settings(max_examples=40, deadline=None)
def test_every_lever_offered_really_passes_the_bar(severity, urgency, effort, own_items):
    owner = Backer("c1", "other", 2, 3)
    item = need("target", owner, severity=severity, urgency=urgency, effort_estimate=effort)
    siblings = [need(f"own{i}", owner, severity=5, urgency=5, effort_estimate=1)
                for i in range(own_items - 1)]
    own = [item, *siblings]
    as_of = {i.demand_id: NOW for i in own}
    others = sorted((0.5 + i / 100 for i in range(10)), reverse=True)
    answer = what_would_move_it("target", own, POLICY, as_of, others)
    current = next(r.score.score for r in score_customer_items(own, POLICY, as_of)
                   if r.demand_id == "target")
    assert answer["score"] == current and answer["target_score"] == others[9]
    assert answer["in_target"] == (current > others[9])
    for lever in answer["levers"]:
        assert lever["resulting_score"] > others[9]
        if lever["lever"] in ("severity", "urgency", "reach", "effort_estimate"):
            changed = [DemandInput(**{**vars(i), lever["lever"]: lever["needed"]})
                       if i.demand_id == "target" else i for i in own]
            rescored = next(r.score.score for r in score_customer_items(changed, POLICY, as_of)
                            if r.demand_id == "target")
            assert rescored == lever["resulting_score"] > others[9]


def test_an_item_already_in_the_top_needs_nothing_and_a_short_list_has_no_bar():
    item = need("a", Backer("c1", "executive", 5, 3), severity=5, urgency=5)
    assert what_would_move_it("a", [item], POLICY, {"a": NOW}, [0.1] * 10)["in_target"]
    answer = what_would_move_it("a", [item], POLICY, {"a": NOW}, [0.9] * 3)
    assert answer["in_target"] and answer["target_score"] is None and answer["levers"] == []
