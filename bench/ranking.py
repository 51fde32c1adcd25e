"""3. Ranking at scale: N open demands loaded by bulk insert, then the real handlers timed.

`python -m bench.ranking --sizes 10000 100000`. Baselines in the same run: the naive full re-sort
(every open demand's score read and sorted in Python), and the customer change's writes done again
by sqlite3 alone (bench/floor.py).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from bench import floor
from bench.common import machine
from services.prioritizer import handlers, views
from services.prioritizer.app import SPEC
from services.prioritizer.consumers import HANDLERS
from services.prioritizer.models import CustomerView, DemandView
from shared.auth import Principal, Role
from shared.consumer import apply_once
from shared.db import Database
from shared.events import new_event
from shared.memory import tune_garbage_collection
from shared.migrations import upgrade_to_head

BIG = 10_000  # the demands one customer holds: a change to it rescores this many
ADMIN = Principal(sub="bench", roles=frozenset({Role.PMO_ADMIN}), customer_id=None)


def demand_data(demand_id: str, customer_id: str, n: int) -> dict:
    # Distinct words: a demand similar to the big customer's would rescore its 10,000 items too.
    words = [uuid.uuid4().hex[:12] for _ in range(4)]
    return {"id": demand_id, "customer_id": customer_id, "title": f"{words[0]} {words[1]}",
            "problem": f"{words[2]} {words[3]}", "kind": "pain_point", "severity": 1 + n % 5,
            "status": "submitted", "created_at": datetime.now(UTC).isoformat(),
            "endorsed_by": [], "tags": []}


def customer_data(customer_id: str, importance: int) -> dict:
    return {"id": customer_id, "name": f"Customer {customer_id[:8]}", "segment": "delivery_team",
            "strategic_importance": importance, "maturity": 3}


async def load(db: Database, size: int) -> tuple[str, list[str]]:
    """Bulk-inserts `size` open demands: BIG on one customer, the rest over 1,000 others."""
    big = str(uuid.uuid4())
    others = [str(uuid.uuid4()) for _ in range(1000)]
    await apply_once(db, HANDLERS, new_event("intake", "pmo.customer.registered", big,
                                             customer_data(big, 3), 1))
    template_id = str(uuid.uuid4())
    await apply_once(db, HANDLERS, new_event("intake", "pmo.demand.submitted", template_id,
                                             demand_data(template_id, big, 0), 1))
    async with db.uow() as uow:
        template = await uow.session.get(DemandView, template_id)
        copy = {c.name: getattr(template, c.name) for c in DemandView.__table__.columns}
        await uow.session.execute(insert(CustomerView), [
            {"id": c, "name": f"C {c[:8]}", "segment": "delivery_team", "strategic_importance": 2,
             "maturity": 3, "version": 1} for c in others])
        batch = []
        for n in range(1, size):
            customer = big if n < BIG else others[n % len(others)]
            # No placement: the template's was scored for another customer, so each row's first
            # rescore (the untimed event below) scores it from its own inputs.
            batch.append({**copy, "id": str(uuid.uuid4()), "customer_id": customer,
                          "title": f"Bench demand {n}", "score": (n * 7919 % 100_000) / 1000.0,
                          "terms": [], "group_id": None, "base_score": None,
                          "counted_position": None, "aged_since": None, "aged_until": None})
            if len(batch) == 5000:
                await uow.session.execute(insert(DemandView), batch)
                batch = []
        if batch:
            await uow.session.execute(insert(DemandView), batch)
        await uow.commit()
    return big, others


async def new_customer(db: Database) -> str:
    customer = str(uuid.uuid4())
    await apply_once(db, HANDLERS, new_event("intake", "pmo.customer.registered", customer,
                                             customer_data(customer, 3), 1))
    return customer


async def timed(coro) -> float:
    started = time.perf_counter()
    await coro
    return (time.perf_counter() - started) * 1000


async def one_event(db: Database, customer: str) -> str:
    """A new demand on `customer`, then read back as the API reads it; returns the event's id."""
    demand_id = str(uuid.uuid4())
    event = new_event("intake", "pmo.demand.submitted", demand_id,
                      demand_data(demand_id, customer, 1), 1)
    await apply_once(db, HANDLERS, event)
    async with db.uow() as uow:
        await views.visible_demand(uow, ADMIN, demand_id)
    return event.id


async def timed_event(db: Database, customer: str) -> tuple[float, str]:
    started = time.perf_counter()
    event_id = await one_event(db, customer)
    return (time.perf_counter() - started) * 1000, event_id


async def top_50(db: Database) -> None:
    async with db.uow() as uow:
        await views.ranking_page(uow, ADMIN, views.RankingFilter(), 50, None)


async def naive(db: Database) -> None:
    async with db.uow() as uow:
        rows = (await uow.session.execute(
            select(DemandView.id, DemandView.score).where(DemandView.is_open))).all()
    sorted(rows, key=lambda row: (-row[1], row[0]))[:50]


def rss_bytes() -> int:
    """This process's resident memory: the prioritizer keeps its read model in the database,
    so what grows here with the backlog is what a ranking process would hold per item."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def prioritizer_database(path: Path) -> Database:
    """An empty prioritizer database on SQLite at `path`, migrated, with the default policy."""
    db = Database(f"sqlite+aiosqlite:///{path}", SPEC.tables)
    await upgrade_to_head(db.engine, SPEC.service_dir)
    async with db.uow() as uow:
        await handlers.ensure_default_policy(uow)
    return db


async def bench(size: int, workdir: Path, events: int = 7) -> None:
    tune_garbage_collection()  # as a service's start-up does
    rss_before = rss_bytes()
    path = workdir / f"ranking-{size}.db"
    db = await prioritizer_database(path)
    try:
        started = time.perf_counter()
        big, others = await load(db, size)
        print(f"  {size:>9,} open demands loaded in {time.perf_counter() - started:.1f} s; "
              f"database {path.stat().st_size / size:.0f} bytes/item on disk")
        # The bulk load copies one stored score to every row, without its placement; a first
        # event of each customer rescores them all from their inputs. One untimed event each
        # first, so the timed one finds what a live prioritizer would hold.
        for n in range(events):
            await one_event(db, others[n])
        timed_events = [await timed_event(db, others[n]) for n in range(events)]
        event_ms = [ms for ms, _ in timed_events]
        # The same on customers without a backlog: what an event costs whatever its customer holds.
        fresh = [await new_customer(db) for _ in range(events)]
        for customer in fresh:
            await one_event(db, customer)
        fixed_ms = [await timed(one_event(db, customer)) for customer in fresh]
        top_ms = [await timed(top_50(db)) for _ in range(10)]
        naive_ms = [await timed(naive(db)) for _ in range(3)]
        rss_serving = rss_bytes()
        change_ms = [await timed(apply_once(db, HANDLERS, new_event(
            "intake", "pmo.customer.updated", big, customer_data(big, 4 + v % 2), v)))
            for v in (2, 3)]
        rss_after = rss_bytes()
    finally:
        await db.dispose()
    floor_ms, floor_rows = floor.customer_change_ms(path, big)
    # The timed events' writes: the new item outranks its customer's bulk-loaded ones, so each
    # event moved every item below it one place, and changed the scores of those whose
    # dampening band that changed (the first four, one per doubling).
    event_floor = [floor.event_ms(path, event_id) for _, event_id in timed_events]
    median = statistics.median
    backlog = max(size - BIG, 0) // len(others) + 1
    print(f"    one demand event rescored+readable: median {median(event_ms):7.1f} ms (target < 2), "
          f"its customer holding ~{backlog:,} open items (each moved a place by the new one)")
    print(f"      baseline, its writes by sqlite3 alone: median "
          f"{median(ms for ms, _ in event_floor):7.1f} ms ("
          f"{median(rows for _, rows in event_floor):,.0f} rows whose score it changed rewritten, "
          f"a trail and an outbox row each)")
    print(f"      the same, customer holding 1 item: median {median(fixed_ms):7.1f} ms")
    print(f"    customer change, {BIG:,} items:     median {median(change_ms):7.1f} ms (target < 200)")
    print(f"      baseline, its writes by sqlite3 alone: {floor_ms:7.1f} ms ({floor_rows:,} rows "
          f"updated, a trail row and an outbox row each: bench/floor.py)")
    print(f"    top-50 query (ranking_page):        median {median(top_ms):7.1f} ms (target < 20)")
    print(f"    baseline naive full re-sort:        median {median(naive_ms):7.1f} ms "
          f"(top-50 is {median(naive_ms) / median(top_ms):.0f}x faster)")
    print(f"    memory: RSS {rss_before / 2**20:.0f} MB before loading, "
          f"{rss_serving / 2**20:.0f} MB after loading, events and queries: "
          f"{max(rss_serving - rss_before, 0) / size:.0f} bytes/item (target < 2 KB); "
          f"{rss_after / 2**20:.0f} MB after the {BIG:,}-item customer change (its working set)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--events", type=int, default=7, choices=range(1, 1001), metavar="1..1000",
                        help="timed demand events of each kind (more: a steadier median)")
    args = parser.parse_args()
    if len(args.sizes) > 1:  # one process per size, so each memory reading starts clean
        for size in args.sizes:
            subprocess.run([sys.executable, "-m", "bench.ranking", "--sizes", str(size),
                            "--events", str(args.events)], check=True)
        return
    print("ranking at scale (SQLite):", machine())
    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        asyncio.run(bench(args.sizes[0], Path(tmp), args.events))


if __name__ == "__main__":
    main()
