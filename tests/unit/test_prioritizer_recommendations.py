"""Pure service recommendations: each design rule, its rationale and its signals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.prioritizer.recommendations import (
    ACTIONS,
    RETIRE_AFTER_DAYS,
    GroupSignals,
    ServiceSignals,
    propose_for_group,
    recommend_service,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)
ACTIVE = ServiceSignals("s1", "Status pack", "reporting", "active", NOW - timedelta(days=30),
                        responses=5, csat_avg=3.8, perceived_value_avg=3.6)


def action(signals: ServiceSignals) -> str:
    advice = recommend_service(signals, NOW)
    assert advice.action in ACTIONS and advice.rationale and advice.signals["lifecycle_state"]
    return advice.action


@pytest.mark.parametrize("changes, expected", [
    ({}, "keep"),
    ({"csat_avg": 2.4}, "improve"),
    ({"mature_responses": 2, "mature_effort_avg": 5.5, "mature_perceived_value_avg": 3.5}, "simplify"),
    ({"mature_responses": 2, "mature_effort_avg": 3.0, "mature_perceived_value_avg": 2.0}, "simplify"),
    ({"open_demands": 4, "open_demand_customers": 3, "csat_avg": 4.4}, "expand"),
    ({"open_demands": 4, "open_demand_customers": 1, "csat_avg": 4.4}, "keep"),
    ({"perceived_value_avg": 2.0, "state_changed_at": NOW - timedelta(days=RETIRE_AFTER_DAYS + 1)},
     "retire"),
    ({"perceived_value_avg": 2.0, "open_demands": 3,
      "state_changed_at": NOW - timedelta(days=RETIRE_AFTER_DAYS + 1)}, "keep"),
    ({"lifecycle_state": "improving", "csat_avg": 2.0}, "improve"),
])
def test_active_service_rules(changes, expected):
    assert action(replace(ACTIVE, **changes)) == expected


@pytest.mark.parametrize("changes, expected", [
    ({"responses": 2, "csat_avg": 5.0, "perceived_value_avg": 5.0}, "keep"),
    ({"csat_avg": 4.5, "perceived_value_avg": 4.0}, "roll_out"),
    ({"csat_avg": 2.5, "perceived_value_avg": 4.0}, "improve"),
    ({"csat_avg": 3.6, "perceived_value_avg": 3.4}, "keep"),
])
def test_pilot_rules(changes, expected):
    assert action(replace(ACTIVE, lifecycle_state="pilot", **changes)) == expected


def test_services_being_built_are_kept_and_retired_ones_get_nothing():
    assert action(replace(ACTIVE, lifecycle_state="in_design")) == "keep"
    assert recommend_service(replace(ACTIVE, lifecycle_state="retired"), NOW) is None


def test_a_service_without_feedback_is_never_judged_on_it():
    bare = ServiceSignals("s2", "New", "risk", "active", None)
    assert action(bare) == "keep"
    assert action(replace(bare, state_changed_at=NOW - timedelta(days=400))) == "keep"


def test_the_rationale_changes_only_when_the_judgement_could():
    one = recommend_service(replace(ACTIVE, csat_avg=2.41, responses=5), NOW)
    two = recommend_service(replace(ACTIVE, csat_avg=2.44, responses=6), NOW)
    assert (one.action, one.rationale) == (two.action, two.rationale)
    assert one.signals["responses"] != two.signals["responses"]


def test_propose_service_for_a_shared_uncovered_need_only():
    group = GroupSignals("g1", "Dependencies surface too late", "schedule", members=3, customers=3,
                         segments=("delivery_team", "executive"))
    advice = propose_for_group(group)
    assert advice.action == "propose_service" and advice.service_id is None
    assert advice.signals["customers"] == 3 and "Dependencies" in advice.rationale
    assert propose_for_group(replace(group, covering_services=("s1",))) is None
    assert propose_for_group(replace(group, customers=1)) is None
