"""Pure scoring and ranking: explained, bounded, independent of unrelated items, fair by construction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.prioritizer.domain import DEFAULT_SEGMENT_WEIGHTS, DEFAULT_WEIGHTS, Segment
from services.prioritizer.ranking import score_customer_items, top_contributor_share
from services.prioritizer.scoring import (
    Backer,
    DemandInput,
    Policy,
    EXACT_POSITIONS,
    ServiceSatisfaction,
    base_value,
    counted_position,
    position_band,
    score_demand,
)

POLICY = Policy(1, dict(DEFAULT_WEIGHTS), dict(DEFAULT_SEGMENT_WEIGHTS))
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
MIN_SCORE = sum(w for w in DEFAULT_WEIGHTS.values() if w < 0)
MAX_SCORE = sum(w for w in DEFAULT_WEIGHTS.values() if w > 0)

backers = st.builds(Backer, customer_id=st.uuids().map(str),
                    segment=st.sampled_from([s.value for s in Segment]) | st.none(),
                    strategic_importance=st.integers(1, 5) | st.none(),
                    maturity=st.integers(1, 5) | st.none())
demands = st.builds(
    DemandInput, demand_id=st.uuids().map(str),
    kind=st.sampled_from(["new_service", "service_change", "pain_point", "support_request"]),
    function_code=st.sampled_from(["reporting", "training", "risk", None]),
    severity=st.integers(1, 5), urgency=st.integers(1, 5), reach=st.integers(1, 1_000_000),
    effort_estimate=st.integers(1, 100) | st.none(),
    submitted_at=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 26),
                              timezones=st.just(UTC)),
    requester=backers, endorsers=st.lists(backers, max_size=6).map(tuple),
    own_position=st.integers(1, 30),
    satisfaction=st.none() | st.builds(ServiceSatisfaction, st.integers(1, 500),
                                       st.floats(1, 5), st.floats(1, 5)),
    similar=st.lists(backers, max_size=4).map(tuple))


@given(demands)
def test_contributions_add_up_and_factors_stay_in_range(item):
    score = score_demand(item, POLICY, NOW)
    assert abs(score.score - sum(f.contribution for f in score.factors)) < 1e-6
    assert all(0.0 <= f.value <= 1.0 for f in score.factors)
    assert MIN_SCORE - 1e-9 <= score.score <= MAX_SCORE + 1e-9
    assert {f.name for f in score.factors} == set(DEFAULT_WEIGHTS)


@given(demands, backers)
def test_another_endorsement_never_lowers_a_score(item, extra):
    before = score_demand(item, POLICY, NOW).score
    after = score_demand(DemandInput(**{**vars(item), "endorsers": (*item.endorsers, extra)}),
                         POLICY, NOW).score
    assert after >= before - 1e-9


@given(st.lists(demands, min_size=1, max_size=5), demands)
@settings(max_examples=50)
def test_an_unrelated_item_never_changes_another_customers_scores(items, newcomer):
    """Scores are absolute: ranking one customer's items ignores everything else in the list."""
    owner = Backer("owner", "executive", 4, 3)
    own = [DemandInput(**{**vars(item), "requester": owner}) for item in items]
    as_of = {item.demand_id: NOW for item in own}
    before = {r.demand_id: r.score.score for r in score_customer_items(own, POLICY, as_of)}
    stranger = DemandInput(**{**vars(newcomer), "requester": Backer("stranger", "other", 1, 1)})
    score_demand(stranger, POLICY, NOW)  # scoring the stranger touches nothing of the owner's
    after = {r.demand_id: r.score.score for r in score_customer_items(own, POLICY, as_of)}
    assert before == after


def _plain(demand_id: str, requester: Backer, **extra) -> DemandInput:
    fields = {"demand_id": demand_id, "kind": "pain_point", "function_code": "reporting",
              "severity": 3, "urgency": 3, "reach": 10, "effort_estimate": 5,
              "submitted_at": NOW - timedelta(days=3), "requester": requester}
    return DemandInput(**(fields | extra))


def test_more_items_from_one_customer_never_raise_its_existing_scores():
    loud = Backer("loud", "delivery_team", 3, 3)
    first = [_plain("a", loud)]
    alone = score_customer_items(first, POLICY, {"a": NOW})[0].score.score
    spam = first + [_plain(f"s{i}", loud, severity=2) for i in range(10)]
    ranked = score_customer_items(spam, POLICY, {item.demand_id: NOW for item in spam})
    scores = {r.demand_id: r.score.score for r in ranked}
    assert scores["a"] == alone
    assert all(scores[f"s{i}"] < alone for i in range(10))
    positions = sorted(r.position for r in ranked)
    assert positions == list(range(1, 12))


def test_a_need_shared_across_segments_beats_one_customers_repeats():
    loud = Backer("loud", "delivery_team", 3, 3)
    repeats = [_plain(f"r{i}", loud) for i in range(5)]
    ranked = score_customer_items(repeats, POLICY, {item.demand_id: NOW for item in repeats})
    best_repeat = max(r.score.score for r in ranked)
    shared = _plain("shared", Backer("exec", "executive", 3, 3), endorsers=(
        Backer("pl", "program_leader", 3, 3), Backer("fp", "functional_partner", 3, 3)))
    assert score_demand(shared, POLICY, NOW).score > best_repeat


def test_top_contributor_share_is_a_fraction_of_the_positive_score():
    score = score_demand(_plain("x", Backer("c", "executive", 5, 1)), POLICY, NOW)
    share = top_contributor_share(score)
    positive = [f.contribution for f in score.factors if f.contribution > 0]
    assert share == round(max(positive) / sum(positive), 4)


policies = st.builds(
    lambda weights, damp: Policy(2, {**weights, "volume_dampening": damp}, dict(DEFAULT_SEGMENT_WEIGHTS)),
    st.fixed_dictionaries({name: st.floats(0, 1) for name in DEFAULT_WEIGHTS
                           if name != "volume_dampening"}),
    st.floats(-1, 0))


@given(demands, policies, backers)
def test_any_valid_policy_keeps_scores_non_negative_and_endorsements_monotone(item, policy, extra):
    score = score_demand(item, policy, NOW)
    assert score.score >= -1e-9
    assert abs(score.score - sum(f.contribution for f in score.factors)) < 1e-6
    more = DemandInput(**{**vars(item), "endorsers": (*item.endorsers, extra)})
    assert score_demand(more, policy, NOW).score >= score.score - 1e-6


@given(demands, backers)
def test_another_customer_with_the_same_need_never_lowers_a_score(item, extra):
    before = score_demand(item, POLICY, NOW).score
    shared = DemandInput(**{**vars(item), "similar": (*item.similar, extra)})
    assert score_demand(shared, POLICY, NOW).score >= before - 1e-9


@given(st.lists(demands, min_size=1, max_size=6), st.lists(demands, min_size=1, max_size=12))
@settings(max_examples=60)
def test_submitting_more_never_raises_a_customers_existing_scores(items, extra):
    owner = Backer("owner", "delivery_team", 3, 3)
    own = [DemandInput(**{**vars(item), "requester": owner}) for item in items]
    more = own + [DemandInput(**{**vars(item), "requester": owner, "demand_id": f"x{i}"})
                  for i, item in enumerate(extra)]
    before = {r.demand_id: r.score.score
              for r in score_customer_items(own, POLICY, {i.demand_id: NOW for i in own})}
    after = {r.demand_id: r.score.score
             for r in score_customer_items(more, POLICY, {i.demand_id: NOW for i in more})}
    assert all(after[demand_id] <= score + 1e-9 for demand_id, score in before.items())


@given(st.integers(1, 3000), st.integers(1, 3000))
def test_one_arrival_moves_its_own_item_the_first_four_and_one_item_per_doubling(size, place):
    """A new item at `place` pushes every item below it one place down; only those whose
    dampening band changes get a new score (each one a published event), not all of them."""
    place = min(place, size + 1)
    moved = sum(1 for k in range(place, size + 1) if counted_position(k) != counted_position(k + 1))
    assert moved <= EXACT_POSITIONS + max(size.bit_length() - 2, 0)
    assert all(position_band(k)[0] <= k <= position_band(k)[1] == counted_position(k)
               for k in (place, size, size + 1))


def test_the_bands_beyond_the_first_four_end_at_each_doubling():
    assert [counted_position(k) for k in range(1, 18)] == [1, 2, 3, 4, 8, 8, 8, 8, 16, 16, 16, 16,
                                                          16, 16, 16, 16, 32]
    assert position_band(5) == (5, 8) and position_band(16) == (9, 16) and position_band(3) == (3, 3)


@given(st.lists(demands, min_size=1, max_size=40), st.floats(0.05, 0.6))
@settings(max_examples=60)
def test_a_customers_items_above_any_score_are_bounded_however_many_it_submits(items, bar):
    """Under the default policy the k-th item keeps at most 1/k of its value (exactly 1/k for the
    first four, the end of its band's share beyond): at most best/t items reach t."""
    owner = Backer("loud", "executive", 5, 3)
    own = [DemandInput(**{**vars(item), "requester": owner, "demand_id": f"d{i}"})
           for i, item in enumerate(items)]
    ranked = score_customer_items(own, POLICY, {i.demand_id: NOW for i in own})
    best = max(base_value(i, POLICY, NOW) for i in own)
    assert sum(1 for r in ranked if r.score.score >= bar) <= best / bar + 1e-9
    for r in ranked:
        damp = next(f for f in r.score.factors if f.name == "volume_dampening")
        counted = damp.inputs["counted_as_position"]
        assert counted == r.position if r.position <= 4 else r.position <= counted < 2 * r.position
        assert damp.inputs["position_band"][0] <= r.position <= damp.inputs["position_band"][1]
        assert abs(r.score.score - damp.inputs["undamped_score"] / counted) < 1e-5


@settings(max_examples=50)
@given(item=demands, hours=st.integers(0, 23 * 60 + 59).map(lambda m: timedelta(minutes=m)))
def test_age_moves_a_score_at_most_once_a_day(item, hours):
    """Aging counts whole days: within one day of waiting the score stands still (a moved score
    is published for every item rescored), and one more whole day never lowers it."""
    start = item.submitted_at + timedelta(days=3)
    same_day = score_demand(item, POLICY, start + hours).score
    assert same_day == score_demand(item, POLICY, start).score
    age = next(f for f in score_demand(item, POLICY, start).factors if f.name == "age")
    assert age.inputs == {"days_waiting": 3}
    assert score_demand(item, POLICY, start + timedelta(days=1)).score >= same_day
