"""What events leave for the end of their transaction: rescoring customers and refreshing
recommendations. A batch of events shares one transaction, so a customer or service touched by
many of them is recomputed once, under the latest event that touched it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from services.prioritizer import advice, handlers
from services.prioritizer.handlers import Cause
from shared.db import UnitOfWork
from shared.observability import current_traceparent, within_trace


class Pending:
    """Collected by `uow.deferred(Pending)`; run once by the unit of work before it commits."""

    def __init__(self) -> None:
        self._customers: dict[str, Cause] = {}
        # subject → (when, trace of the step that asked): advice is computed as of that moment.
        self._services: dict[str, tuple[datetime, str | None]] = {}
        self._groups: dict[str, tuple[datetime, str | None]] = {}

    def rescore(self, customer_ids: Iterable[str], cause: Cause) -> None:
        for customer_id in customer_ids:
            self._customers[customer_id] = cause

    def advise(self, at: datetime, *, service_ids: Iterable[str | None] = (),
               group_ids: Iterable[str | None] = ()) -> None:
        asked = (at, current_traceparent())
        self._services.update((sid, asked) for sid in service_ids if sid)
        self._groups.update((gid, asked) for gid in group_ids if gid)

    async def run(self, uow: UnitOfWork) -> None:
        if self._customers:
            policy = await handlers.current_policy(uow)
            for cause, customer_ids in _by_value(self._customers).items():
                with within_trace(cause.traceparent):
                    await handlers.rescore_customers(uow, customer_ids, cause, policy)
        for (at, traceparent), service_ids in _by_value(self._services).items():
            with within_trace(traceparent):
                await advice.refresh(uow, at, service_ids=service_ids)
        for (at, traceparent), group_ids in _by_value(self._groups).items():
            with within_trace(traceparent):
                await advice.refresh(uow, at, group_ids=group_ids)


def _by_value(mapping: dict) -> dict:
    grouped: dict = defaultdict(list)
    for key, value in mapping.items():
        grouped[value].append(key)
    return grouped
