"""What events leave for the end of their transaction: relinking similar demand, rescoring
customers and refreshing recommendations. A batch of events shares one transaction, so a demand,
customer or service touched by many of them is recomputed once, under the latest event that
touched it. A rebuild holds the rescoring and the advice back until its last batch (`holding`),
so a replay rescores each customer once instead of once per batch that touched it."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import select

from services.prioritizer import advice, groups, handlers, inputs, rescoring
from services.prioritizer.rescoring import Cause
from services.prioritizer.models import ENDORSEMENT_COLUMNS, CustomerView, DemandView
from shared.db import UnitOfWork, for_ids, ids_param, insert_records
from shared.observability import current_traceparent, within_trace


Asked = tuple[datetime, str | None]  # when advice was asked for, and the trace that asked


class Settlement:
    """Rescores and recommendation refreshes due, each under the latest cause that asked."""

    def __init__(self) -> None:
        self.customers: dict[str, Cause] = {}
        # Customers due only because some of their own items changed: those items. A customer
        # due for any other reason (its own change, a signal its items share) is rescored whole.
        self.changed_items: dict[str, set[str]] = {}
        self.services: dict[str, Asked] = {}
        self.groups: dict[str, Asked] = {}

    def rescore_whole(self, customer_id: str, cause: Cause, *, keep_cause: bool = False) -> None:
        if not keep_cause or customer_id not in self.customers:
            self.customers[customer_id] = cause
        self.changed_items.pop(customer_id, None)

    def rescore_items(self, customer_id: str, demand_ids: Iterable[str], cause: Cause) -> None:
        if customer_id not in self.customers or customer_id in self.changed_items:
            self.changed_items.setdefault(customer_id, set()).update(demand_ids)
        self.customers[customer_id] = cause

    def merge(self, later: "Settlement") -> None:
        """A rebuild's held settlement rescores every customer whole: its rows are new, with no
        place stored for an order index to tell."""
        self.customers |= later.customers
        self.services |= later.services
        self.groups |= later.groups

    async def run(self, uow: UnitOfWork, customers_at_once: int | None = None) -> None:
        """`customers_at_once` bounds memory when settling a whole rebuild: the session lets go
        of each chunk's rows once their scores are written."""
        ordered = sorted(self.customers)
        step = customers_at_once or len(ordered) or 1
        for start in range(0, len(ordered), step):
            chunk = ordered[start:start + step]
            await rescoring.rescore_customers(
                uow, {customer_id: self.customers[customer_id] for customer_id in chunk},
                changed={customer_id: self.changed_items[customer_id] for customer_id in chunk
                         if customer_id in self.changed_items})
            if customers_at_once:
                await uow.session.flush()
                uow.session.expunge_all()
        for (at, traceparent), service_ids in _by_value(self.services).items():
            with within_trace(traceparent):
                await advice.refresh(uow, at, service_ids=service_ids)
        for (at, traceparent), group_ids in _by_value(self.groups).items():
            with within_trace(traceparent):
                await advice.refresh(uow, at, group_ids=group_ids)


_HELD: ContextVar[Settlement | None] = ContextVar("prioritizer_held_settlement", default=None)


@contextlib.contextmanager
def holding() -> Iterator[Settlement]:
    """Within it, every batch's rescoring and advice is added to the yielded settlement instead
    of being done at the batch's commit; the caller runs it once at the end."""
    token = _HELD.set(Settlement())
    try:
        yield _HELD.get()
    finally:
        _HELD.reset(token)


class Pending:
    """Collected by `uow.deferred(Pending)`; run once by the unit of work before it commits."""

    def __init__(self) -> None:
        # The batch's demands and their endorsers, loaded once: later events of the batch see
        # what earlier ones did without a flush (an INSERT round trip) per event.
        self._rows: dict[str, DemandView | SimpleNamespace | None] = {}
        self._new: list[SimpleNamespace] = []  # see new_demand
        self._endorsers: dict[str, set[str]] = {}
        self.customers: dict[str, CustomerView] = {}  # for keep_newest(held=...)
        # Changed customers: their items, the items they endorsed and the similar demands whose
        # repeat demand counts them are found once for all of them. The latest is the cause.
        self._changed_customers: set[str] = set()
        self._customer_cause: Cause | None = None
        self._due = Settlement()
        # Changed demands: those whose text or scope changed are relinked; all of them may change
        # the repeat demand of their similar demands. The latest such change is the cause.
        self._demands: dict[str, bool] = {}  # demand id → relink
        self._demand_cause: Cause | None = None

    async def load_demands(self, uow: UnitOfWork, demand_ids: set[str]) -> None:
        """The rows and endorsers of the demands a batch names, in a query or two each."""
        ids = sorted(demand_ids - set(self._rows))
        self._rows |= dict.fromkeys(ids)
        self._endorsers |= {demand_id: set() for demand_id in ids}
        with uow.session.no_autoflush:
            for row in await groups.demands(uow, ids):
                self._rows[row.id] = row
            # A demand not stored yet has no endorsements stored either.
            stored = [demand_id for demand_id in ids if self._rows[demand_id] is not None]
            for demand_id, customer_id in await for_ids(uow.session, _ENDORSERS, stored):
                self._endorsers[demand_id].add(customer_id)

    async def load_customers(self, uow: UnitOfWork, customer_ids: set[str]) -> None:
        """The customer rows a batch's customer events name, in a query per 500: each event's
        keep_newest then finds its row (or learns there is none) without a lookup of its own."""
        ids = sorted(customer_ids - set(self.customers))
        self.customers |= dict.fromkeys(ids)
        with uow.session.no_autoflush:
            self.customers |= await inputs.customers_by_id(uow, ids)

    async def demand(self, uow: UnitOfWork, demand_id: str) -> DemandView | None:
        if demand_id not in self._rows:  # an event the batch's preparation did not name
            await self.load_demands(uow, {demand_id})
        return self._rows[demand_id]

    def new_demand(self, **values) -> SimpleNamespace:
        """A demand first heard of in this batch: a plain record, inserted with the batch's
        other new demands in one statement when the batch settles (an ORM object and its
        flush cost more than the rest of applying the event)."""
        row = SimpleNamespace(**values)
        self._rows[row.id] = row
        self._new.append(row)
        self._endorsers.setdefault(row.id, set())
        return row

    def new_customers_on(self, service_id: str) -> set[str]:
        """The customers of this batch's new open demands on a service: not stored until the
        batch settles, so a query for the service's demands does not see them yet."""
        return {row.customer_id for row in self._new if row.is_open and row.service_id == service_id}

    def endorsers(self, demand_id: str) -> set[str]:
        """Who is recorded as endorsing a demand loaded or added in this batch; the caller adds
        to it what it records."""
        return self._endorsers[demand_id]

    def rescore(self, customer_ids: Iterable[str], cause: Cause) -> None:
        """These customers' items all rescored: something they share changed."""
        for customer_id in customer_ids:
            self._due.rescore_whole(customer_id, cause)

    def rescore_items(self, customer_id: str, demand_ids: Iterable[str], cause: Cause) -> None:
        """A customer's items rescored after these of them changed (and nothing they share)."""
        self._due.rescore_items(customer_id, demand_ids, cause)

    def customer_changed(self, customer_id: str, cause: Cause) -> None:
        self._due.rescore_whole(customer_id, cause)
        self._changed_customers.add(customer_id)
        self._customer_cause = cause

    def demand_changed(self, demand_id: str, cause: Cause, *, relink: bool) -> None:
        self._demands[demand_id] = self._demands.get(demand_id, False) or relink
        self._demand_cause = cause

    def advise(self, at: datetime, *, service_ids: Iterable[str | None] = (),
               group_ids: Iterable[str | None] = ()) -> None:
        asked = (at, current_traceparent())
        self._due.services.update((sid, asked) for sid in service_ids if sid)
        self._due.groups.update((gid, asked) for gid in group_ids if gid)

    async def run(self, uow: UnitOfWork) -> None:
        await insert_records(uow.session, DemandView.__table__, self._new)
        if self._demand_cause is not None:
            with within_trace(self._demand_cause.traceparent):
                await self._settle_demands(uow, self._demand_cause)
        if self._customer_cause is not None:
            for customer_id in await handlers.customers_to_rescore_for(uow, self._changed_customers):
                self._due.rescore_whole(customer_id, self._customer_cause, keep_cause=True)
        held = _HELD.get()
        if held is not None:
            held.merge(self._due)
        else:
            await self._due.run(uow)

    async def _settle_demands(self, uow: UnitOfWork, cause: Cause) -> None:
        """Relinks and regroups what changed text or scope; then the customers of the similar
        demands whose repeat-demand inputs moved are due for a rescore too."""
        changed = set(self._demands)
        relinked = [demand_id for demand_id, relink in self._demands.items() if relink]
        touched = set(changed)
        if relinked:  # the rows this batch holds, as a query would return them
            rows = [self._rows[demand_id] for demand_id in relinked]
            linked = await groups.relink(uow, rows, new={row.id for row in self._new})
            touched |= linked
            # Only where links changed can a group change: a new demand that found nothing
            # similar stays in no group, as it was stored.
            self.advise(cause.at, group_ids=await groups.regroup(uow, linked))
        unlinked = changed - set(relinked)  # same text: its similar demands count its backers
        for others in (await groups.neighbours_of(uow, unlinked)).values():
            touched |= set(others)
        for customer_id in await handlers.customers_whose_repeat_demand_moved(uow, touched - changed):
            # Its own later event stays the cause.
            self._due.rescore_whole(customer_id, cause, keep_cause=True)


_ENDORSEMENTS = ENDORSEMENT_COLUMNS  # on the table: see models.py
_ENDORSERS = select(_ENDORSEMENTS.demand_id, _ENDORSEMENTS.customer_id).where(
    _ENDORSEMENTS.demand_id.in_(ids_param()))


def _by_value(mapping: dict) -> dict:
    grouped: dict = defaultdict(list)
    for key, value in mapping.items():
        grouped[value].append(key)
    return grouped
