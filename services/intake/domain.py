"""intake's rules: segments, demand kinds, and the demand status machine. Pure, no I/O."""

from __future__ import annotations

from enum import StrEnum

from shared.errors import Forbidden, IllegalTransition, Unprocessable


class Segment(StrEnum):
    EXECUTIVE = "executive"
    PROGRAM_LEADER = "program_leader"
    DELIVERY_TEAM = "delivery_team"
    FUNCTIONAL_PARTNER = "functional_partner"
    OTHER = "other"


class Kind(StrEnum):
    NEW_SERVICE = "new_service"
    SERVICE_CHANGE = "service_change"
    PAIN_POINT = "pain_point"
    SUPPORT_REQUEST = "support_request"


class DemandStatus(StrEnum):
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


_S = DemandStatus
# Contract §2: the path forward, and any status before delivered may end in rejected or withdrawn.
DEMAND_TRANSITIONS: dict[DemandStatus, tuple[DemandStatus, ...]] = {
    _S.SUBMITTED: (_S.TRIAGED, _S.REJECTED, _S.WITHDRAWN),
    _S.TRIAGED: (_S.PLANNED, _S.REJECTED, _S.WITHDRAWN),
    _S.PLANNED: (_S.IN_PROGRESS, _S.REJECTED, _S.WITHDRAWN),
    _S.IN_PROGRESS: (_S.DELIVERED, _S.REJECTED, _S.WITHDRAWN),
    _S.DELIVERED: (),
    _S.REJECTED: (),
    _S.WITHDRAWN: (),
}

OPEN_STATUSES = frozenset({_S.SUBMITTED, _S.TRIAGED, _S.PLANNED})
# A customer may take back its own need, but triage and delivery are the PMO's to decide.
CUSTOMER_MOVES = frozenset({_S.WITHDRAWN})


def allowed_moves(current: DemandStatus) -> list[str]:
    return [status.value for status in DEMAND_TRANSITIONS[current]]


def check_demand_transition(current: DemandStatus, target: DemandStatus, *,
                            by_customer: bool) -> None:
    """Raises when the table forbids the move, or when a customer tries a PMO decision."""
    if target not in DEMAND_TRANSITIONS[current]:
        raise IllegalTransition(current.value, target.value, allowed_moves(current))
    if by_customer and target not in CUSTOMER_MOVES:
        raise Forbidden("a customer may only withdraw its own demand")


def check_endorsement(demand_customer_id: str, endorsing_customer_id: str) -> None:
    if demand_customer_id == endorsing_customer_id:
        raise Unprocessable("a customer cannot endorse its own demand", "customer_id")
