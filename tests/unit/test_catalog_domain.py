"""catalog's pure rules: the lifecycle table, who may retire, the gates, value propositions."""

from __future__ import annotations

import pytest

from services.catalog import domain
from services.catalog.domain import LifecycleState as S
from shared.errors import Forbidden, IllegalTransition, Unprocessable

# Copied from contract §3 rather than imported, so the table is checked against the contract.
CONTRACT = {
    "proposed": ["in_design", "retired"],
    "in_design": ["pilot", "proposed", "retired"],
    "pilot": ["active", "in_design", "retired"],
    "active": ["improving", "retired"],
    "improving": ["active", "retired"],
    "retired": [],
}
PAIRS = [(S(current), S(target)) for current in CONTRACT for target in CONTRACT]


def test_the_table_is_the_contracts():
    assert {state.value: domain.allowed_moves(state) for state in S} == CONTRACT


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{c}->{t}" for c, t in PAIRS])
def test_check_move_allows_the_table_and_names_the_allowed_moves(current, target):
    if target.value in CONTRACT[current.value]:
        domain.check_move(current, target, is_admin=True)
        return
    with pytest.raises(IllegalTransition) as raised:
        domain.check_move(current, target, is_admin=True)
    problem = raised.value.problem()
    assert problem["status"] == 409 and problem["allowed"] == CONTRACT[current.value]
    assert problem["current"] == current.value and problem["requested"] == target.value


@pytest.mark.parametrize("current", [S.PROPOSED, S.IN_DESIGN, S.PILOT, S.ACTIVE, S.IMPROVING])
def test_only_a_retirer_retires(current):
    with pytest.raises(Forbidden):
        domain.check_move(current, S.RETIRED, is_admin=False)
    domain.check_move(current, S.RETIRED, is_admin=True)


def test_an_illegal_move_is_409_before_the_role_is_asked():
    with pytest.raises(IllegalTransition):
        domain.check_move(S.RETIRED, S.RETIRED, is_admin=False)


def gates(current: S, target: S, **given) -> None:
    arguments = {"reason": None, "evidence": None, "has_pilot": False, "has_replacement": False}
    domain.check_gates(current, target, **(arguments | given))


def field_of(error: Unprocessable) -> list:
    return error.problem()["errors"][0]["loc"]


@pytest.mark.parametrize(("current", "target", "given", "field"), [
    (S.IN_DESIGN, S.PILOT, {}, "pilot"),
    (S.PILOT, S.IN_DESIGN, {"has_pilot": True}, "pilot"),
    (S.PILOT, S.ACTIVE, {}, "evidence"),
    (S.IMPROVING, S.ACTIVE, {"evidence": ""}, "evidence"),
    (S.ACTIVE, S.RETIRED, {}, "reason"),
    (S.ACTIVE, S.IMPROVING, {"has_replacement": True}, "replacement_service_id"),
])
def test_gates_name_the_missing_or_misplaced_field(current, target, given, field):
    with pytest.raises(Unprocessable) as raised:
        gates(current, target, **given)
    assert raised.value.status == 422 and field_of(raised.value) == ["body", field]


@pytest.mark.parametrize(("current", "target", "given"), [
    (S.PROPOSED, S.IN_DESIGN, {}),
    (S.IN_DESIGN, S.PILOT, {"has_pilot": True}),
    (S.PILOT, S.ACTIVE, {"evidence": "rated 4.5"}),
    (S.IMPROVING, S.ACTIVE, {"evidence": "effort halved"}),
    (S.ACTIVE, S.IMPROVING, {"evidence": "optional here"}),
    (S.PROPOSED, S.RETIRED, {"reason": "no demand"}),
    (S.ACTIVE, S.RETIRED, {"reason": "merged", "has_replacement": True}),
])
def test_gates_let_a_complete_move_through(current, target, given):
    gates(current, target, **given)


@pytest.mark.parametrize(("replacement_id", "state"), [
    ("a", S.ACTIVE), ("b", None), ("b", S.RETIRED),
])
def test_a_replacement_is_another_live_service(replacement_id, state):
    with pytest.raises(Unprocessable) as raised:
        domain.check_replacement("a", replacement_id, state)
    assert field_of(raised.value) == ["body", "replacement_service_id"]


@pytest.mark.parametrize("state", [S.PROPOSED, S.IN_DESIGN, S.PILOT, S.ACTIVE, S.IMPROVING])
def test_any_service_still_in_the_catalog_may_replace(state):
    domain.check_replacement("a", "b", state)


def proposition(segment: str, outcome: str = "it helps") -> dict:
    return {"segment": segment, "outcome": outcome, "cost_estimate": None}


@pytest.mark.parametrize(("targets", "propositions", "field"), [
    (["executive"], [proposition("delivery_team")], "value_propositions"),
    (["executive"], [proposition("executive"), proposition("executive", "again")], "value_propositions"),
    (["executive", "executive"], [], "target_segments"),
])
def test_value_propositions_speak_to_target_segments_once(targets, propositions, field):
    with pytest.raises(Unprocessable) as raised:
        domain.check_propositions(targets, propositions)
    assert field_of(raised.value) == ["body", field]


def test_a_target_segment_may_still_lack_a_proposition():
    domain.check_propositions(["executive", "other"], [proposition("executive")])


def test_proposition_for_picks_the_segments_own_words():
    written = [proposition("executive", "one minute"), proposition("program_leader", "no chasing")]
    assert domain.proposition_for(written, "program_leader")["outcome"] == "no chasing"
    assert domain.proposition_for(written, "delivery_team") is None


def test_only_pilot_and_active_are_offered_and_retired_is_frozen():
    assert set(domain.OFFERED_STATES) == {S.PILOT, S.ACTIVE}
    assert domain.FROZEN_STATES == {S.RETIRED}
