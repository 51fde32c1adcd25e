"""catalog's rules: segments, the service lifecycle and the gates on its moves. Pure, no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from shared.errors import Forbidden, IllegalTransition, Unprocessable


class Segment(StrEnum):
    EXECUTIVE = "executive"
    PROGRAM_LEADER = "program_leader"
    DELIVERY_TEAM = "delivery_team"
    FUNCTIONAL_PARTNER = "functional_partner"
    OTHER = "other"


class LifecycleState(StrEnum):
    PROPOSED = "proposed"
    IN_DESIGN = "in_design"
    PILOT = "pilot"
    ACTIVE = "active"
    IMPROVING = "improving"
    RETIRED = "retired"


_L = LifecycleState
# Contract §3, verbatim: the only moves a service can make.
LIFECYCLE_TRANSITIONS: dict[LifecycleState, tuple[LifecycleState, ...]] = {
    _L.PROPOSED: (_L.IN_DESIGN, _L.RETIRED),
    _L.IN_DESIGN: (_L.PILOT, _L.PROPOSED, _L.RETIRED),
    _L.PILOT: (_L.ACTIVE, _L.IN_DESIGN, _L.RETIRED),
    _L.ACTIVE: (_L.IMPROVING, _L.RETIRED),
    _L.IMPROVING: (_L.ACTIVE, _L.RETIRED),
    _L.RETIRED: (),
}

# Going live after a trial or a rework is a claim that it worked: it needs evidence.
EVIDENCE_NEEDED_FROM = frozenset({_L.PILOT, _L.IMPROVING})
# What a customer can use today; the catalog view offers only these.
OFFERED_STATES = (_L.PILOT, _L.ACTIVE)
# Content of a retired service is history; it no longer changes.
FROZEN_STATES = frozenset({_L.RETIRED})


def allowed_moves(current: LifecycleState) -> list[str]:
    return [state.value for state in LIFECYCLE_TRANSITIONS[current]]


def is_admin_move(current: LifecycleState, target: LifecycleState) -> bool:
    """Retiring, and reactivating an improved service, are the PMO lead's decisions."""
    return target is _L.RETIRED or (current, target) == (_L.IMPROVING, _L.ACTIVE)


def check_move(current: LifecycleState, target: LifecycleState, *, is_admin: bool) -> None:
    """Raises 409 when the table forbids the move, 403 when it is a move only an admin makes."""
    if target not in LIFECYCLE_TRANSITIONS[current]:
        raise IllegalTransition(current.value, target.value, allowed_moves(current))
    if is_admin_move(current, target) and not is_admin:
        verb = "retire" if target is _L.RETIRED else "reactivate"
        raise Forbidden(f"only a pmo_admin may {verb} a service")


def check_gates(current: LifecycleState, target: LifecycleState, *, reason: str | None,
                evidence: str | None, has_pilot: bool, has_replacement: bool) -> None:
    """Raises 422 naming the field a legal move still lacks, or carries where it does not belong."""
    if target is _L.PILOT and not has_pilot:
        raise Unprocessable("entering pilot needs a pilot plan", "pilot")
    if target is not _L.PILOT and has_pilot:
        raise Unprocessable("a pilot plan is only given when entering pilot", "pilot")
    if target is _L.ACTIVE and current in EVIDENCE_NEEDED_FROM and not evidence:
        raise Unprocessable(f"going active from {current.value} needs evidence", "evidence")
    if target is _L.RETIRED and not reason:
        raise Unprocessable("retiring a service needs a reason", "reason")
    if target is not _L.RETIRED and has_replacement:
        raise Unprocessable("a replacement is only named when retiring", "replacement_service_id")


def check_replacement(service_id: str, replacement_id: str,
                      replacement_state: LifecycleState | None) -> None:
    """A replacement must exist, be another service, and still be in the catalog."""
    field = "replacement_service_id"
    if replacement_id == service_id:
        raise Unprocessable("a service cannot replace itself", field)
    if replacement_state is None:
        raise Unprocessable(f"unknown replacement_service_id '{replacement_id}'", field)
    if replacement_state is _L.RETIRED:
        raise Unprocessable(f"replacement service {replacement_id} is itself retired", field)


def check_propositions(target_segments: Sequence[str], propositions: Iterable[Mapping[str, Any]]) -> None:
    """Each value proposition speaks to one targeted segment, at most once per segment."""
    repeated = [segment for segment, n in Counter(target_segments).items() if n > 1]
    if repeated:
        raise Unprocessable(f"target_segments repeats {', '.join(repeated)}", "target_segments")
    written: set[str] = set()
    for proposition in propositions:
        segment = proposition["segment"]
        if segment not in target_segments:
            raise Unprocessable(f"value proposition for '{segment}', which is not a target segment",
                                "value_propositions")
        if segment in written:
            raise Unprocessable(f"two value propositions for '{segment}'", "value_propositions")
        written.add(segment)


def proposition_for(propositions: Iterable[Mapping[str, Any]], segment: str) -> Mapping[str, Any] | None:
    """The value proposition written for one segment, in that segment's words; None if none is."""
    return next((p for p in propositions if p["segment"] == segment), None)

