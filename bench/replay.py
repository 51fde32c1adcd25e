"""4. Replay: `services.prioritizer.rebuild` over N events on the real broker, events/s.

Events are published with shared.bus.KafkaPublisher under a unique topic prefix. Baseline in the
same run: reading the same topics to their end (shared.replay.read_to_end) without applying them.
`python -m bench.replay --events 100000`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import machine
from bench.ranking import customer_data, demand_data
from services.prioritizer.rebuild import rebuild
from services.prioritizer.settings import PrioritizerSettings
from shared.bus import KafkaPublisher, OutgoingRecord
from shared.events import new_event
from shared.events.envelope import encode_event
from shared.replay import read_to_end

BOOTSTRAP = "127.0.0.1:9092"


async def publish(prefix: str, events: int) -> list[str]:
    # About ten demands a customer: each demand event rescores its customer's open backlog.
    customers = [str(uuid.uuid4()) for _ in range(max(100, events // 10))]
    publisher = KafkaPublisher(BOOTSTRAP, 30.0, "pmo-bench")
    records = [new_event("intake", "pmo.customer.registered", c, customer_data(c, 3), 1)
               for c in customers]
    for n in range(events - len(records)):
        demand_id = str(uuid.uuid4())
        records.append(new_event("intake", "pmo.demand.submitted", demand_id,
                                 demand_data(demand_id, customers[n % len(customers)], n), 1))
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


async def main_async(events: int) -> None:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    started = time.perf_counter()
    topics = await publish(prefix, events)
    print(f"  published {events:,} events in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    by_partition, _ = await read_to_end(topics, BOOTSTRAP, 60.0)
    read_seconds = time.perf_counter() - started
    count = sum(len(records) for records in by_partition.values())
    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        settings = PrioritizerSettings(data_dir=Path(tmp), kafka_topic_prefix=prefix,
                                       consumer_group=f"{prefix}prioritizer")
        report = await rebuild(settings)
    rate = report.replay.events / report.replay.seconds
    print(f"  baseline read to end, no apply: {count / read_seconds:9,.0f} events/s")
    print(f"  rebuild (apply through handlers): {rate:9,.0f} events/s over {report.replay.events:,} "
          f"events, {report.ranked:,} ranked (target >= 10,000/s: "
          f"{'met' if rate >= 10_000 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    print("replay:", machine())
    asyncio.run(main_async(args.events))


if __name__ == "__main__":
    main()
