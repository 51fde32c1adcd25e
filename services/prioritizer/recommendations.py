"""What to do with each service, and which unmet needs call for a new one. Pure: signals in,
an action with its rationale and the signals it used out.

Rules (design.md), first match wins:
- pilot: too few responses → keep; good feedback → roll_out; poor feedback → improve (back to design).
- active or improving: little demand and low value for a long time → retire; low satisfaction →
  improve; high effort or low value for mature customers → simplify; much demand and high
  satisfaction → expand; otherwise keep.
- proposed or in design → keep (being built); retired → nothing to recommend.
- a demand group backed by several customers that no pilot, active or improving service covers →
  propose_service.
Thresholds are the module constants below; scales are the contract's (csat and value 1..5,
effort 1..7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ACTIONS = ("expand", "simplify", "improve", "roll_out", "retire", "keep", "propose_service")
COVERING_STATES = frozenset({"pilot", "active", "improving"})

MIN_RESPONSES = 3
ROLL_OUT_MIN_CSAT = 4.0
ROLL_OUT_MIN_VALUE = 3.5
PILOT_POOR_CSAT = 3.0
PILOT_POOR_VALUE = 3.0
IMPROVE_BELOW_CSAT = 3.0
SIMPLIFY_MIN_MATURE_RESPONSES = 2
SIMPLIFY_MIN_EFFORT = 5.0
SIMPLIFY_MAX_VALUE = 2.5
EXPAND_MIN_OPEN_DEMANDS = 3
EXPAND_MIN_CUSTOMERS = 2
EXPAND_MIN_CSAT = 4.0
RETIRE_AFTER_DAYS = 180
RETIRE_MAX_OPEN_DEMANDS = 1
RETIRE_MAX_VALUE = 2.5
PROPOSE_MIN_CUSTOMERS = 2


@dataclass(frozen=True)
class ServiceSignals:
    service_id: str
    name: str
    function_code: str
    lifecycle_state: str
    state_changed_at: datetime | None
    responses: int = 0
    csat_avg: float | None = None
    perceived_value_avg: float | None = None
    effort_avg: float | None = None
    mature_responses: int = 0
    mature_perceived_value_avg: float | None = None
    mature_effort_avg: float | None = None
    open_demands: int = 0
    open_demand_customers: int = 0
    open_demand_segments: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupSignals:
    group_id: str
    label: str
    function_code: str | None
    members: int
    customers: int
    segments: tuple[str, ...]
    service_ids: tuple[str, ...] = ()
    covering_services: tuple[str, ...] = ()  # members' services in a covering state


@dataclass(frozen=True)
class Recommendation:
    subject_id: str
    subject_kind: str  # "service" or "demand_group"
    service_id: str | None
    action: str
    rationale: str
    signals: dict[str, Any] = field(default_factory=dict)


def recommend_service(s: ServiceSignals, as_of: datetime) -> Recommendation | None:
    """The move for one service as of a moment (an event's time); None for a retired service."""
    if s.lifecycle_state == "retired":
        return None
    days = _days_in_state(s, as_of)
    if s.lifecycle_state == "pilot":
        action, rationale = _pilot(s)
    elif s.lifecycle_state in ("active", "improving"):
        action, rationale = _active(s, days)
    else:
        action, rationale = "keep", f"{s.lifecycle_state.replace('_', ' ')}: being built, no move yet"
    return Recommendation(s.service_id, "service", s.service_id, action, rationale,
                          _service_signals(s, days))


def _pilot(s: ServiceSignals) -> tuple[str, str]:
    if s.responses < MIN_RESPONSES:
        return "keep", f"pilot with {s.responses} of {MIN_RESPONSES} responses needed to judge it"
    heard = _heard(s)
    if s.csat_avg >= ROLL_OUT_MIN_CSAT and s.perceived_value_avg >= ROLL_OUT_MIN_VALUE:
        return "roll_out", f"pilot feedback is good ({heard}): roll it out"
    if s.csat_avg < PILOT_POOR_CSAT or s.perceived_value_avg < PILOT_POOR_VALUE:
        return "improve", f"pilot feedback is poor ({heard}): back to design"
    return "keep", f"pilot feedback is mixed ({heard}): keep piloting"


def _active(s: ServiceSignals, days: float | None) -> tuple[str, str]:
    judged = s.responses >= MIN_RESPONSES
    if (judged and days is not None and days >= RETIRE_AFTER_DAYS
            and s.open_demands <= RETIRE_MAX_OPEN_DEMANDS
            and s.perceived_value_avg <= RETIRE_MAX_VALUE):
        return "retire", (f"{s.open_demands} open demand(s) and perceived value "
                          f"{s.perceived_value_avg:.1f}/5 after {days:.0f} days {s.lifecycle_state}")
    if judged and s.csat_avg < IMPROVE_BELOW_CSAT:
        return "improve", f"low satisfaction ({_heard(s)})"
    if s.mature_responses >= SIMPLIFY_MIN_MATURE_RESPONSES and (
            (s.mature_effort_avg or 0) >= SIMPLIFY_MIN_EFFORT
            or (s.mature_perceived_value_avg or 5) <= SIMPLIFY_MAX_VALUE):
        return "simplify", (f"mature customers find it heavy: effort {_num(s.mature_effort_avg)}/7, "
                            f"value {_num(s.mature_perceived_value_avg)}/5")
    if (judged and s.open_demands >= EXPAND_MIN_OPEN_DEMANDS
            and s.open_demand_customers >= EXPAND_MIN_CUSTOMERS and s.csat_avg >= EXPAND_MIN_CSAT):
        return "expand", (f"{s.open_demands} open demands from {s.open_demand_customers} customers "
                          f"and high satisfaction ({_heard(s)})")
    # No numbers here: a steady service should not publish a change with every response.
    return "keep", "demand and feedback are within the expected ranges"


def propose_for_group(g: GroupSignals) -> Recommendation | None:
    """`propose_service` for a group of open demand several customers share and no service covers."""
    if g.customers < PROPOSE_MIN_CUSTOMERS or g.covering_services:
        return None
    rationale = (f"{g.members} open demands from {g.customers} customers in "
                 f"{len(g.segments)} segment(s) describe the same need and no pilot or active "
                 f"service covers it: \"{g.label}\"")
    signals = {"group_id": g.group_id, "label": g.label, "function_code": g.function_code,
               "members": g.members, "customers": g.customers, "segments": list(g.segments),
               "service_ids": list(g.service_ids),
               "thresholds": {"min_customers": PROPOSE_MIN_CUSTOMERS}}
    return Recommendation(g.group_id, "demand_group", None, "propose_service", rationale, signals)


def _days_in_state(s: ServiceSignals, as_of: datetime) -> float | None:
    if s.state_changed_at is None:
        return None
    return max((as_of - s.state_changed_at).total_seconds() / 86400, 0.0)


def _heard(s: ServiceSignals) -> str:
    # Averages to one decimal, no counts: the rationale changes only when the judgement could.
    return f"CSAT {_num(s.csat_avg)}/5, value {_num(s.perceived_value_avg)}/5"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _service_signals(s: ServiceSignals, days: float | None) -> dict[str, Any]:
    rounded = {key: (round(value, 2) if isinstance(value, float) else value)
               for key, value in vars(s).items() if key not in ("service_id", "state_changed_at")}
    rounded["open_demand_segments"] = list(s.open_demand_segments)
    rounded["days_in_state"] = None if days is None else round(days, 1)
    return rounded
