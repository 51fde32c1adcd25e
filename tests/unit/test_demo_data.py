"""Pure checks that the demo data is legal under contract v1 and shows what the demo needs."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from statistics import mean

import pytest

from pmo import demo_data as demo

# Copied from the contract (section 2 and 3) rather than imported, so these tests check the
# data against the contract and not against the data's own idea of it.
SEGMENTS = {"executive", "program_leader", "delivery_team", "functional_partner", "other"}
KINDS = {"new_service", "service_change", "pain_point", "support_request"}
LIFECYCLE = {
    "proposed": {"in_design", "retired"},
    "in_design": {"pilot", "proposed", "retired"},
    "pilot": {"active", "in_design", "retired"},
    "active": {"improving", "retired"},
    "improving": {"active", "retired"},
    "retired": set(),
}
_BEFORE_DELIVERED = {"submitted", "triaged", "planned", "in_progress"}
DEMAND_FLOW = {
    "submitted": {"triaged"},
    "triaged": {"planned"},
    "planned": {"in_progress"},
    "in_progress": {"delivered"},
    "delivered": set(),
    "rejected": set(),
    "withdrawn": set(),
}
for _status in _BEFORE_DELIVERED:
    DEMAND_FLOW[_status] |= {"rejected", "withdrawn"}
OPEN_STATUSES = {"submitted", "triaged", "planned"}
IN_USE_STATES = {"pilot", "active", "improving"}
REQUIRED_FUNCTIONS = {
    "governance", "reporting", "schedule", "risk", "resources", "methods", "training",
    "portfolio", "benefits", "knowledge", "administration",
}

CUSTOMERS = {c.key: c for c in demo.CUSTOMERS}
SERVICES = {s.key: s for s in demo.SERVICES}
DEMANDS = {d.key: d for d in demo.DEMANDS}
FUNCTION_CODES = {f.code for f in demo.FUNCTIONS}


def _duplicates(keys: list[str]) -> list[str]:
    """Keys that occur more than once."""
    return [key for key, n in Counter(keys).items() if n > 1]


def test_local_keys_and_function_codes_are_unique() -> None:
    for keys in (
        [f.code for f in demo.FUNCTIONS],
        [c.key for c in demo.CUSTOMERS],
        [s.key for s in demo.SERVICES],
        [d.key for d in demo.DEMANDS],
        [r.key for r in demo.FEEDBACK],
    ):
        assert not _duplicates(keys)


def test_the_required_functions_exist_with_slug_codes() -> None:
    assert REQUIRED_FUNCTIONS <= FUNCTION_CODES
    for function in demo.FUNCTIONS:
        assert re.fullmatch(r"[a-z][a-z0-9_-]*", function.code)
        assert function.name and function.description


def test_sizes_match_the_demo_brief() -> None:
    assert 16 <= len(demo.SERVICES) <= 22
    assert 10 <= len(demo.CUSTOMERS) <= 14
    assert 26 <= len(demo.DEMANDS) <= 34
    assert 35 <= len(demo.FEEDBACK) <= 45


def test_every_segment_has_customers() -> None:
    assert {c.segment for c in demo.CUSTOMERS} == SEGMENTS


def test_customer_fields_are_legal() -> None:
    for customer in demo.CUSTOMERS:
        assert customer.segment in SEGMENTS
        assert 1 <= len(customer.name) <= 200
        assert 1 <= customer.strategic_importance <= 5
        assert 1 <= customer.maturity <= 5
        assert customer.contact_email.endswith("@example.org")
        profile = customer.profile
        assert profile.value_to_organization and profile.serves
        assert profile.motivations and profile.priorities and profile.preferred_terms


def test_customers_vary_in_importance_and_maturity() -> None:
    assert len({c.strategic_importance for c in demo.CUSTOMERS}) >= 3
    assert len({c.maturity for c in demo.CUSTOMERS}) >= 3


@pytest.mark.parametrize("service", demo.SERVICES, ids=lambda s: s.key)
def test_service_fields_are_legal(service: demo.Service) -> None:
    assert service.function_code in FUNCTION_CODES
    assert 1 <= len(service.name) <= 200
    assert service.target_segments and set(service.target_segments) <= SEGMENTS
    assert service.capacity_per_month >= 0
    assert service.owner


@pytest.mark.parametrize("service", demo.SERVICES, ids=lambda s: s.key)
def test_one_value_proposition_per_target_segment(service: demo.Service) -> None:
    segments = [vp.segment for vp in service.value_propositions]
    assert sorted(segments) == sorted(service.target_segments)
    for vp in service.value_propositions:
        assert vp.outcome and vp.cost_estimate


@pytest.mark.parametrize("service", demo.SERVICES, ids=lambda s: s.key)
def test_service_lifecycle_path_follows_the_contract_table(service: demo.Service) -> None:
    state = "proposed"
    for move in service.moves:
        assert move.to in LIFECYCLE[state], f"{service.key}: {state} -> {move.to}"
        assert move.reason
        state = move.to


@pytest.mark.parametrize("service", demo.SERVICES, ids=lambda s: s.key)
def test_pilot_moves_carry_a_plan_of_target_customers(service: demo.Service) -> None:
    for move in service.moves:
        assert (move.pilot is not None) == (move.to == "pilot")
        if move.pilot is None:
            continue
        assert move.pilot.customer_keys and move.pilot.success_criteria
        assert move.pilot.ends_in_days > 0
        for key in move.pilot.customer_keys:
            assert CUSTOMERS[key].segment in service.target_segments


def test_only_retirements_name_a_live_replacement() -> None:
    for service in demo.SERVICES:
        for move in service.moves:
            if move.replacement_key is None:
                continue
            assert move.to == "retired"
            assert move.replacement_key != service.key
            assert SERVICES[move.replacement_key].demo_state == "active"


def test_demo_states_cover_the_whole_lifecycle() -> None:
    states = Counter(s.demo_state for s in demo.SERVICES)
    assert set(states) == set(LIFECYCLE)
    assert states["pilot"] >= 2 and states["proposed"] >= 2 and states["active"] >= 5
    assert states["improving"] == states["in_design"] == states["retired"] == 1


@pytest.mark.parametrize("demand", demo.DEMANDS, ids=lambda d: d.key)
def test_demand_fields_are_legal(demand: demo.Demand) -> None:
    assert demand.kind in KINDS
    assert 1 <= len(demand.title) <= 200
    assert 1 <= len(demand.problem) <= 4000
    assert demand.problem != demand.desired_outcome
    assert 1 <= demand.severity <= 5 and 1 <= demand.urgency <= 5
    assert demand.reach >= 1
    assert demand.effort_estimate is None or 1 <= demand.effort_estimate <= 100
    assert demand.due_in_days is None or demand.due_in_days > 0


@pytest.mark.parametrize("demand", demo.DEMANDS, ids=lambda d: d.key)
def test_demand_references_resolve(demand: demo.Demand) -> None:
    assert demand.customer_key in CUSTOMERS
    assert demand.function_code is None or demand.function_code in FUNCTION_CODES
    if demand.service_key is not None:
        service = SERVICES[demand.service_key]
        assert service.demo_state != "retired"
        assert demand.function_code in (None, service.function_code)


@pytest.mark.parametrize("demand", demo.DEMANDS, ids=lambda d: d.key)
def test_demand_status_path_follows_the_contract(demand: demo.Demand) -> None:
    status = "submitted"
    for move in demand.moves:
        assert move.to in DEMAND_FLOW[status], f"{demand.key}: {status} -> {move.to}"
        assert move.reason
        status = move.to


def test_demand_shows_every_kind_and_the_main_statuses() -> None:
    assert {d.kind for d in demo.DEMANDS} == KINDS
    statuses = Counter(d.demo_status for d in demo.DEMANDS)
    for status in ("submitted", "triaged", "planned", "in_progress", "delivered"):
        assert statuses[status] >= 1
    assert statuses["rejected"] == 1


def test_a_shared_need_spans_customers_and_segments() -> None:
    by_tag: dict[str, list[demo.Demand]] = defaultdict(list)
    for demand in demo.DEMANDS:
        for tag in demand.tags:
            by_tag[tag].append(demand)
    widest = max(by_tag.values(), key=lambda ds: len({CUSTOMERS[d.customer_key].segment
                                                      for d in ds}))
    assert len({d.customer_key for d in widest}) >= 4
    assert len({CUSTOMERS[d.customer_key].segment for d in widest}) >= 4


def test_the_loudest_voice_files_many_small_items() -> None:
    per_customer = Counter(d.customer_key for d in demo.DEMANDS)
    (loudest, count), (_, runner_up) = per_customer.most_common(2)
    assert count >= 2 * runner_up
    items = [d for d in demo.DEMANDS if d.customer_key == loudest]
    assert max(d.severity for d in items) <= 2
    assert CUSTOMERS[loudest].strategic_importance <= 2


def test_endorsements_are_by_other_customers_once_each_on_open_demand() -> None:
    pairs = [(e.demand_key, e.customer_key) for e in demo.ENDORSEMENTS]
    assert not _duplicates([f"{d}|{c}" for d, c in pairs])
    for demand_key, customer_key in pairs:
        assert customer_key in CUSTOMERS
        assert customer_key != DEMANDS[demand_key].customer_key
        assert DEMANDS[demand_key].demo_status in OPEN_STATUSES


@pytest.mark.parametrize("response", demo.FEEDBACK, ids=lambda r: r.key)
def test_feedback_is_legal_and_resolves(response: demo.FeedbackResponse) -> None:
    assert response.customer_key in CUSTOMERS
    service = SERVICES[response.service_key]
    assert service.demo_state in IN_USE_STATES
    assert 1 <= response.csat <= 5 and 1 <= response.perceived_value <= 5
    assert response.nps is None or 0 <= response.nps <= 10
    assert response.effort is None or 1 <= response.effort <= 7
    assert len(response.comment) <= 4000 and response.channel
    if response.demand_key is not None:
        demand = DEMANDS[response.demand_key]
        assert demand.customer_key == response.customer_key
        assert demand.service_key in (None, response.service_key)


def test_pilot_feedback_comes_from_pilot_customers() -> None:
    for response in demo.FEEDBACK:
        service = SERVICES[response.service_key]
        if service.demo_state == "pilot":
            plan = service.moves[-1].pilot
            assert plan is not None and response.customer_key in plan.customer_keys


def _csat_by_service() -> dict[str, float]:
    """Average satisfaction per service that has feedback."""
    scores: dict[str, list[int]] = defaultdict(list)
    for response in demo.FEEDBACK:
        scores[response.service_key].append(response.csat)
    return {key: mean(values) for key, values in scores.items()}


def test_feedback_tells_the_stories_the_demo_needs() -> None:
    csat = _csat_by_service()
    pilots = [k for k, s in SERVICES.items() if s.demo_state == "pilot" and k in csat]
    actives = [k for k, s in SERVICES.items() if s.demo_state == "active" and k in csat]
    assert any(csat[k] >= 4.5 for k in pilots), "a pilot that works"
    assert any(csat[k] <= 2.0 for k in pilots), "a pilot that disappoints"
    assert any(csat[k] <= 2.5 for k in actives), "an active service with low satisfaction"
    detractors = [r for r in demo.FEEDBACK if r.csat <= 2 or (r.nps is not None and r.nps <= 6)]
    assert len(detractors) >= 5
