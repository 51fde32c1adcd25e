"""4. Replay: `services.prioritizer.rebuild` over N events on the real broker, events/s.

Events are published with shared.bus.KafkaPublisher under a unique topic prefix. Baselines in the
same run: reading the same topics to their end (shared.replay.read_to_end) without applying them,
and the rebuilt database's rows written again by sqlite3 alone (bench/floor.py).
`python -m bench.replay --events 100000`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import floor
from bench.common import machine, scratch_topics
from bench.ranking import customer_data, demand_data
from services.prioritizer.rebuild import rebuild
from services.prioritizer.settings import PrioritizerSettings
from shared.bus import KafkaPublisher, OutgoingRecord
from shared.events import new_event
from shared.events.envelope import encode_event
from shared.replay import read_to_end

BOOTSTRAP = "127.0.0.1:9092"


async def publish(prefix: str, events: int, updates: int) -> list[str]:
    # About ten demands a customer: each demand event rescores its customer's open backlog.
    customers = [str(uuid.uuid4()) for _ in range(max(100, events // 10))]
    publisher = KafkaPublisher(BOOTSTRAP, 30.0, "pmo-bench")
    records = [new_event("intake", "pmo.customer.registered", c, customer_data(c, 3), 1)
               for c in customers]
    for n in range((events - len(records)) // (1 + updates)):
        demand_id = str(uuid.uuid4())
        data = demand_data(demand_id, customers[n % len(customers)], n)
        records.append(new_event("intake", "pmo.demand.submitted", demand_id, data, 1))
        for version in range(2, updates + 2):  # a demand's later life: triaged, re-rated, ...
            data = data | {"status": "triaged", "severity": 1 + (n + version) % 5}
            records.append(new_event("intake", "pmo.demand.updated", demand_id, data, version))
    topics = set()
    try:
        for start in range(0, len(records), 1000):
            chunk = [OutgoingRecord(prefix + event.topic, event.subject, encode_event(event))
                     for event in records[start:start + 1000]]
            topics |= {record.topic for record in chunk}
            await publisher.send_batch(chunk)
    finally:
        await publisher.stop()
    return sorted(topics)


async def main_async(prefix: str, events: int, updates: int) -> None:
    started = time.perf_counter()
    topics = await publish(prefix, events, updates)
    print(f"  published {events:,} events ({updates} update(s) after each submission) in "
          f"{time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    by_partition, _ = await read_to_end(topics, BOOTSTRAP, 60.0)
    read_seconds = time.perf_counter() - started
    count = sum(len(records) for records in by_partition.values())
    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        settings = PrioritizerSettings(data_dir=Path(tmp), kafka_topic_prefix=prefix,
                                       consumer_group=f"{prefix}prioritizer")
        report = await rebuild(settings)
        database = make_url(settings.database_url).database
        floor_seconds, floor_rows = floor.copy_seconds(Path(database), Path(tmp) / "floor.db")
    rate = report.replay.events / report.seconds  # the whole rebuild, final rescoring included
    print(f"  baseline read to end, no apply: {count / read_seconds:9,.0f} events/s")
    print(f"  baseline, the rebuilt database's {floor_rows:,} rows written by sqlite3 alone "
          f"(bench/floor.py): {report.replay.events / floor_seconds:9,.0f} events/s")
    print(f"  rebuild (apply through handlers): {rate:9,.0f} events/s over {report.replay.events:,} "
          f"events ({report.replay.superseded:,} superseded by a later version), "
          f"{report.ranked:,} ranked (target >= 10,000/s: {'met' if rate >= 10_000 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=0,
                        help="later versions of each demand (a real history has several)")
    args = parser.parse_args()
    print("replay:", machine())
    with scratch_topics(BOOTSTRAP) as prefix:
        asyncio.run(main_async(prefix, args.events, args.updates))


if __name__ == "__main__":
    main()
