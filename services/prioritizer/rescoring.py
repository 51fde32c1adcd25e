"""Rescoring customers' open items and writing what changed: whole customers (every open item
scored from its inputs), or only what some items' change moved (those items, and the items their
move pushed into another dampening band, read from the customer's order index). A changed score
is written with its trail row and its published event; nothing else is."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

import orjson
from sqlalchemy import Row, Text, bindparam, case, cast, func, insert, or_, select, true, update
from sqlalchemy.orm.attributes import set_committed_value

from services.prioritizer import events, explanations, inputs
from services.prioritizer.domain import DEFAULT_SEGMENT_WEIGHTS, DEFAULT_WEIGHTS
from services.prioritizer.models import (
    DEMAND_COLUMNS,
    POLICY_COLUMNS,
    DemandView,
    RescoreDue,
    ScoreChangeRow,
)
from services.prioritizer.ranking import score_customer_items
from services.prioritizer.scoring import (
    AGE,
    DAMPENING,
    EXACT_POSITIONS,
    Factor,
    Policy,
    Score,
    at_position,
    undamped_factors,
)
from shared.db import UTCDateTime, UnitOfWork, execute_many, for_ids, ids_param, json_text
from shared.metrics import observe_ranking_freshness


@dataclass(frozen=True)
class Cause:
    """Why scores are being recomputed: the event (or policy change) and its moment."""

    event_id: str | None
    event_type: str
    at: datetime
    actor: str | None = None  # who made the change: the policy's author, or the event's actor
    traceparent: str | None = None  # the trace of the step that caused it, for work done later


async def current_policy(uow: UnitOfWork) -> Policy:
    row = (await uow.session.execute(_NEWEST_POLICY)).first()
    if row is None:
        return Policy(1, dict(DEFAULT_WEIGHTS), dict(DEFAULT_SEGMENT_WEIGHTS))
    return Policy(row.version, row.weights, row.segment_weights)


# Read once per event batch: on the table, not the mapped class (models.py says why).
_NEWEST_POLICY = select(POLICY_COLUMNS.version, POLICY_COLUMNS.weights,
                        POLICY_COLUMNS.segment_weights).order_by(
    POLICY_COLUMNS.version.desc()).limit(1)


# What a rescore reads of each open demand: plain rows, not ORM objects. Ten thousand of them are
# read and rewritten when a customer changes; the session's own copies are kept in step after.
# The stored explanation comes as its JSON text: decoding it cost more than reading the rest of
# the row, and it is only needed when the score did not change (_ScoreChanges.add).
_DEMANDS = DEMAND_COLUMNS  # on the table: see models.py
SCORED = (_DEMANDS.id, _DEMANDS.customer_id, _DEMANDS.title, _DEMANDS.status, _DEMANDS.kind,
          _DEMANDS.function_code, _DEMANDS.service_id, _DEMANDS.severity, _DEMANDS.urgency,
          _DEMANDS.reach, _DEMANDS.effort_estimate, _DEMANDS.endorsed_by, _DEMANDS.submitted_at,
          _DEMANDS.segment, _DEMANDS.score, _DEMANDS.score_version,
          cast(_DEMANDS.explanation, Text).label("explanation_text"),
          _DEMANDS.base_score, _DEMANDS.counted_position, _DEMANDS.aged_since, _DEMANDS.aged_until)


async def rescore_customers(uow: UnitOfWork, causes: Mapping[str, Cause],
                            policy: Policy | None = None,
                            changed: Mapping[str, Collection[str]] | None = None) -> int:
    """Rescores the open items of these customers, each under its own cause, in one pass;
    returns how many scores changed. `changed` names, for some of them, the only items whose
    own inputs changed: of their other items only those the change moved into another dampening
    band are read and rescored (_rescore_moved); the others are rescored whole."""
    if not causes:
        return 0
    policy = policy or await current_policy(uow)
    changes = _ScoreChanges()
    moved = {customer_id: ids for customer_id, ids in (changed or {}).items()
             if customer_id in causes}
    if moved:
        await _rescore_moved(uow, moved, causes, policy, changes)
    whole = sorted(customer_id for customer_id in causes if customer_id not in moved)
    if whole:
        demands = await for_ids(uow.session, _OPEN_SCORED_OF_CUSTOMERS, whole)
        await _rescore_whole(uow, demands, causes.__getitem__, policy, changes)
    await changes.write(uow)
    return len(changes)


_OPEN_SCORED_OF_CUSTOMERS = select(*SCORED).where(_DEMANDS.customer_id.in_(ids_param()),
                                                 _DEMANDS.is_open)
_OPEN_SCORED_BY_ID = select(*SCORED).where(_DEMANDS.id.in_(ids_param()), _DEMANDS.is_open)


# Customers rescored at once by a policy change: their rows are read, scored and written before
# the next ones are read, so a million open items are never held at once (gigabytes).
POLICY_RESCORE_CUSTOMERS_AT_ONCE = 2000


async def rescore_everything(uow: UnitOfWork, cause: Cause, policy: Policy) -> int:
    """Rescores every open item (a policy change), a chunk of customers at a time."""
    return await _rescore_chunked(uow, await uow.session.scalars(_CUSTOMERS_WITH_OPEN), cause,
                                  policy)


async def rescore_due_customers(uow: UnitOfWork, at: datetime) -> int:
    """Rescores, whole, the customers a migration listed as due (`rescore_due`: scored before
    the way scores are computed changed, e.g. 0003's banded dampening, and stored without the
    placement a demand event reads) and removes them from the list. Run at start-up, before the
    service consumes; an empty list is one query. Returns how many scores changed."""
    customer_ids = list(await uow.session.scalars(_DUE_CUSTOMERS))
    if not customer_ids:
        return 0
    cause = Cause(None, "rescore.due", at)
    changed = await _rescore_chunked(uow, customer_ids, cause, await current_policy(uow))
    await for_ids(uow.session, _DELETE_DUE, customer_ids)
    await uow.commit()
    return changed


async def _rescore_chunked(uow: UnitOfWork, customer_ids: Iterable[str], cause: Cause,
                           policy: Policy) -> int:
    ordered, changed, step = sorted(customer_ids), 0, POLICY_RESCORE_CUSTOMERS_AT_ONCE
    for start in range(0, len(ordered), step):
        changed += await rescore_customers(uow, dict.fromkeys(ordered[start:start + step], cause),
                                           policy)
    return changed


_CUSTOMERS_WITH_OPEN = select(_DEMANDS.customer_id).where(_DEMANDS.is_open).distinct()
_DUE = RescoreDue.__table__
_DUE_CUSTOMERS = select(_DUE.c.customer_id)
_DELETE_DUE = _DUE.delete().where(_DUE.c.customer_id.in_(ids_param()))


async def _rescore_whole(uow: UnitOfWork, demands: Sequence[Row], cause_of: Callable[[str], Cause],
                         policy: Policy, changes: "_ScoreChanges") -> None:
    """Every open item of these customers scored from its inputs, ordered in Python."""
    context = await inputs.load_context(uow, demands)
    by_customer: dict[str, list[Row]] = {}
    for demand in demands:
        by_customer.setdefault(demand.customer_id, []).append(demand)
    for customer_id, rows in by_customer.items():
        cause = cause_of(customer_id)
        items = [inputs.demand_input(row, context) for row in rows]
        as_of = {row.id: max(cause.at, row.submitted_at) for row in rows}
        rows_by_id = {row.id: row for row in rows}
        customer = context.customers.get(customer_id)
        segment = customer.segment if customer else None
        for ranked in score_customer_items(items, policy, as_of):
            changes.add(uow, rows_by_id[ranked.demand_id], ranked.score, segment, cause)


async def _rescore_moved(uow: UnitOfWork, changed: Mapping[str, Collection[str]],
                         causes: Mapping[str, Cause], policy: Policy,
                         changes: "_ScoreChanges") -> None:
    """Rescores, of each customer's open items, those that changed and those the change moved
    into another dampening band, without reading the rest.

    The changed items are scored from their inputs and their new undamped score stored first;
    then the customer's order is numbered by the database from its index
    (ix_demands_customer_order), and only the rows whose stored band no longer matches their
    place come back. An item that did not change keeps its undamped factors, which its stored
    explanation holds, unless its age in whole days or the policy moved since it was scored:
    then it is scored from its inputs too and the order numbered again. A place within the
    stored band scores as the band's counted position, so the result equals a whole rescore's
    (tests/service/test_prioritizer_moved_items.py compares them).
    """
    customers = sorted(changed)
    window = {"earliest": min(causes[c].at for c in customers),
              "latest": max(causes[c].at for c in customers)}
    computed: dict[str, _Computed] = {}
    kept: dict[str, dict] = {}  # the stored explanations of placed rows, each decoded once
    # A demand named under a customer it no longer belongs to is its new customer's to score.
    to_compute = [row for row in await for_ids(
        uow.session, _OPEN_SCORED_BY_ID, sorted({i for ids in changed.values() for i in ids}))
        if row.customer_id in changed]
    while True:
        computed |= await _compute(uow, to_compute, causes, policy)
        placed = {row.id: row for row in await for_ids(uow.session, _MISPLACED, customers, **window)}
        for row in placed.values():
            if row.id not in computed and row.id not in kept:
                kept[row.id] = orjson.loads(row.explanation_text)
        to_compute = [row for row in placed.values() if row.id not in computed and not _still_holds(
            row, kept[row.id], causes[row.customer_id].at, policy.version)]
        if not to_compute:
            break
    for demand_id, mine in computed.items():
        where = placed.get(demand_id)
        position = where.position if where is not None else mine.row.counted_position
        changes.add(uow, mine.row, at_position(mine.undamped, position, policy), mine.segment,
                    causes[mine.row.customer_id])
    lookup = await explanations.load(uow.session, [kept[demand_id] for demand_id in placed
                                                   if demand_id not in computed])
    for row in placed.values():
        if row.id not in computed:
            undamped = _stored_undamped(kept[row.id], lookup)
            changes.add(uow, row, at_position(undamped, row.position, policy), row.segment,
                        causes[row.customer_id])


@dataclass
class _Computed:
    row: SimpleNamespace  # as selected, with the placement just stored
    undamped: tuple[Factor, ...]
    segment: str | None


async def _compute(uow: UnitOfWork, rows: Sequence[Row], causes: Mapping[str, Cause],
                   policy: Policy) -> dict[str, _Computed]:
    """These items' undamped factors from their inputs; each one's new undamped score and age
    span are stored at once (where they moved) so the database orders the customer by them."""
    if not rows:
        return {}
    context = await inputs.load_context(uow, rows)
    computed, moved = {}, []
    for row in rows:
        as_of = max(causes[row.customer_id].at, row.submitted_at)
        undamped = undamped_factors(inputs.demand_input(row, context), policy, as_of)
        placement = _placement(undamped, row.submitted_at)
        record = SimpleNamespace(**row._mapping)
        if any(getattr(record, name) != value for name, value in placement.items()):
            moved.append({"demand_id": row.id, **placement})
            vars(record).update(placement)
        customer = context.customers.get(row.customer_id)
        computed[row.id] = _Computed(record, undamped, customer.segment if customer else None)
    if moved:
        await execute_many(uow.session, _update_by_id(tuple(moved[0])), moved)
    return computed


def _placement(factors: Iterable[Factor], submitted_at: datetime) -> dict:
    """What the order index holds of a score: its undamped score and the span in which its age
    in whole days holds (the age factor's input)."""
    base, days = 0.0, 0
    for factor in factors:
        if factor.name == AGE:
            days = factor.inputs["days_waiting"]
        if factor.name != DAMPENING:
            base += factor.contribution
    since = submitted_at + timedelta(days=days)
    return {"base_score": round(base, 6), "aged_since": since,
            "aged_until": since + timedelta(days=1)}


def _still_holds(row: Row, explanation: dict, at: datetime, policy_version: int) -> bool:
    """Whether a stored score's undamped factors (`explanation`, as stored) are what scoring its
    inputs now would give: same policy, same whole days waiting (its inputs did not change, or it
    would be named)."""
    if row.base_score is None or row.aged_since is None or row.aged_until is None:
        return False
    as_of = max(at, row.submitted_at)
    return (row.aged_since <= as_of < row.aged_until
            and explanation.get("policy_version") == policy_version)


def _stored_undamped(explanation: dict, lookup: explanations.Lookup) -> tuple[Factor, ...]:
    return tuple(factor for factor in explanations.factors(explanation, lookup)
                 if factor.name != DAMPENING)


def _misplaced_query():
    """A customer's open items numbered in their dampening order (customer, then undamped score,
    submission, id, as ranking.score_customer_items orders them); of them the rows whose stored
    counted position is not their place's (scoring.counted_position: the place itself up to
    EXACT_POSITIONS, else the end of a band that runs from half of it, exclusive), and those
    whose age may have moved between the earliest and the latest cause."""
    d = _DEMANDS
    place = func.row_number().over(partition_by=d.customer_id,
                                   order_by=(d.base_score.desc(), d.submitted_at, d.id))
    order = select(d.id, d.counted_position, d.base_score, d.aged_since, d.aged_until,
                   place.label("position")).where(
        d.customer_id.in_(ids_param()), d.is_open == true()).subquery("customer_order")
    o = order.c
    misplaced = or_(o.counted_position.is_(None),
                    case((o.counted_position <= EXACT_POSITIONS, o.position != o.counted_position),
                         else_=or_(o.position * 2 <= o.counted_position,
                                   o.position > o.counted_position)))
    may_have_aged = or_(o.base_score.is_(None), o.aged_since.is_(None), o.aged_until.is_(None),
                        o.aged_since > bindparam("earliest", type_=UTCDateTime()),
                        o.aged_until <= bindparam("latest", type_=UTCDateTime()))
    return select(*SCORED, o.position).join_from(order, DemandView.__table__, o.id == d.id).where(
        or_(misplaced, may_have_aged))


_MISPLACED = _misplaced_query()


class _ScoreChanges:
    """New scores with their trail and events, written in bulk: a customer change can move
    thousands of scores, and one statement per table beats one ORM object per row."""

    def __init__(self) -> None:
        self._rows: list[dict] = []
        self._trail: list[dict] = []
        self._quiet: list[dict] = []
        self._causes: set[Cause] = set()
        self._explanations = explanations.Compactor()

    def __len__(self) -> int:
        return len(self._trail)

    def add(self, uow: UnitOfWork, row: Row, score: Score, segment: str | None,
            cause: Cause) -> None:
        """Stores a new score with its trail and event. An unchanged score leaves no trace: its
        explanation is kept exact (an input that moved without moving the score) and its segment
        current, quietly, since neither is a change of priority."""
        explanation = self._explanations.compact(score)
        placement = {**_placement(score.factors, row.submitted_at),
                     "counted_position": score.factors[-1].inputs["counted_as_position"]}
        if row.score_version and row.score == score.score:
            # The stored text is what json_text wrote for an explanation compacted alike, so
            # equal texts are equal explanations; otherwise it is decoded to learn its policy.
            if (json_text(explanation) == row.explanation_text and row.segment == segment
                    and all(getattr(row, name) == value for name, value in placement.items())):
                return
            if orjson.loads(row.explanation_text).get("policy_version") == score.policy_version:
                self._quiet.append({"demand_id": row.id, "explanation": explanation,
                                    "scored_at": cause.at, "segment": segment, **placement})
                return
        previous = row.score if row.score_version else None
        values = {"demand_id": row.id, "score": score.score, "explanation": explanation,
                  "scored_at": cause.at, "score_version": row.score_version + 1, "segment": segment,
                  **placement}
        self._rows.append(values)
        self._trail.append({"demand_id": row.id, "previous_score": previous, "score": score.score,
                            "policy_version": score.policy_version,
                            "cause_event_id": cause.event_id, "cause_type": cause.event_type,
                            "at": cause.at})
        if uow.publishing:
            uow.publish(events.reprioritized(row, score, segment, values["score_version"],
                                             previous, cause.event_id, cause.event_type,
                                             cause.actor, cause.traceparent))
        self._causes.add(cause)

    async def write(self, uow: UnitOfWork) -> None:
        if self._rows or self._quiet:  # else no explanation is written: nothing refers to them
            await self._explanations.store(uow)
        for rows in (self._rows, self._quiet):
            if rows:
                await execute_many(uow.session, _update_by_id(tuple(rows[0])), rows)
                _keep_session_in_step(uow, rows)
        await execute_many(uow.session, _INSERT_TRAIL, self._trail)
        for cause in self._causes:  # ranking freshness: from the event's time to its score changes
            if cause.event_id:
                observe_ranking_freshness(cause.event_type, cause.at)


_INSERT_TRAIL = insert(ScoreChangeRow.__table__)


@functools.lru_cache(maxsize=8)
def _update_by_id(names: tuple[str, ...]):
    table = DemandView.__table__
    return update(table).where(table.c.id == bindparam("demand_id")).values(
        {name: bindparam(name) for name in names if name != "demand_id"})


def _keep_session_in_step(uow: UnitOfWork, rows: list[dict]) -> None:
    """The demands this transaction also holds as ORM objects (the batch's own) get the values
    just written, as if loaded so: later handlers and hooks read them, and a flush of another
    change to them must not write the old score back."""
    mapper, identity_map = DemandView.__mapper__, uow.session.identity_map
    for values in rows:
        held = identity_map.get(mapper.identity_key_from_primary_key([values["demand_id"]]))
        if held is not None:
            for name, value in values.items():
                if name != "demand_id":
                    set_committed_value(held, name, value)
