"""`pmo dlq list|replay`: inspect dead letters, and re-drive them to their source topic after a fix.

A consumer parks a record it cannot handle in `<topic>.dlq` with headers `pmo-error`,
`pmo-source-topic` (the physical topic it came from) and `pmo-consumer-group`. `replay`
republishes each parked value, with its key, to the topic named in `pmo-source-topic`, then
commits the `pmo-dlq-replayer` group's offset past it, so a record is replayed once. Consumers
that had applied the event already drop the copy through their inbox. Every Kafka call is
bounded by a timeout.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import typer
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.bus import KafkaPublisher, OutgoingRecord, bounded
from shared.consumer import DLQ_ERROR_HEADER, DLQ_GROUP_HEADER, DLQ_SOURCE_TOPIC_HEADER
from shared.events.registry import DLQ_SUFFIX
from shared.replay import merge_by_time
from shared.settings import ServiceSettings

REPLAYER_GROUP = "pmo-dlq-replayer"
REPLAYED_FROM_HEADER = "pmo-replayed-from"


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: str
    source_topic: str | None
    group: str | None
    error: str
    timestamp_ms: int
    replayed: bool
    value: bytes


@dataclass(frozen=True)
class ReplayResult:
    topic: str
    replayed: int
    without_source: int  # parked without a `pmo-source-topic` header: skipped, offset moved on
    remaining: int


def dlq_topic_name(name: str, prefix: str = "") -> str:
    """`pmo.intake.demand.v1` or its `.dlq`, with or without the stack's prefix → the DLQ topic."""
    name = name if name.startswith(prefix) else prefix + name
    return name if name.endswith(DLQ_SUFFIX) else name + DLQ_SUFFIX


async def list_dead_letters(bootstrap: str, topics: list[str] | None = None, *, prefix: str = "",
                            limit: int = 100, timeout: float = 10.0) -> list[DeadLetter]:
    """Parked records of the DLQ topics (all of the prefix when `topics` is None), oldest first."""
    async with _reader(bootstrap, timeout) as consumer:
        names = topics or sorted(name for name in await _all_topics(consumer, timeout)
                                 if name.startswith(prefix) and name.endswith(DLQ_SUFFIX))
        letters: list[DeadLetter] = []
        for name in names:
            partitions, replayed_up_to = await _positions(consumer, name, timeout, from_start=True)
            records = await _read(consumer, partitions, timeout, limit - len(letters))
            letters += [_letter(record, record.offset < replayed_up_to[TopicPartition(name, record.partition)])
                        for record in records]
            if len(letters) >= limit:
                break
        return letters


async def replay_dead_letters(bootstrap: str, topic: str, *, limit: int | None = None,
                              timeout: float = 10.0) -> ReplayResult:
    """Republishes the not yet replayed records of one DLQ topic to their source topics."""
    publisher = KafkaPublisher(bootstrap, timeout, "pmo-dlq-replayer")
    try:
        async with _reader(bootstrap, timeout) as consumer:
            partitions, _ = await _positions(consumer, topic, timeout, from_start=False)
            records = await _read(consumer, partitions, timeout, limit)
            ends = await bounded(consumer.end_offsets(list(partitions)), timeout)
            done: dict[TopicPartition, int] = {}
            replayed = without_source = 0
            for record in records:
                source = _header(record, DLQ_SOURCE_TOPIC_HEADER)
                if source:
                    origin = f"{record.topic}/{record.partition}/{record.offset}".encode()
                    copy = OutgoingRecord(source, (record.key or b"").decode(errors="replace"),
                                          record.value or b"", ((REPLAYED_FROM_HEADER, origin),))
                    if await publisher.send_batch([copy]) != 1:
                        break  # not acknowledged: this and later records stay for the next run
                    replayed += 1
                else:
                    without_source += 1
                done[TopicPartition(record.topic, record.partition)] = record.offset + 1
            if done:
                await bounded(consumer.commit(done), timeout)
            remaining = sum(end - done.get(tp, partitions[tp]) for tp, end in ends.items())
            return ReplayResult(topic, replayed, without_source, max(remaining, 0))
    finally:
        await publisher.stop()


class _reader:
    """A consumer of the replayer group with manual assignment (no group join, no rebalance)."""

    def __init__(self, bootstrap: str, timeout: float) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=REPLAYER_GROUP,
                                          enable_auto_commit=False, auto_offset_reset="earliest",
                                          request_timeout_ms=int(timeout * 1000) + 5000)
        self._timeout = timeout

    async def __aenter__(self) -> AIOKafkaConsumer:
        await bounded(self._consumer.start(), self._timeout)
        return self._consumer

    async def __aexit__(self, *_exc) -> None:
        try:
            await bounded(self._consumer.stop(), self._timeout)
        except asyncio.TimeoutError:
            pass


async def _all_topics(consumer: AIOKafkaConsumer, timeout: float) -> set[str]:
    return set(await bounded(consumer.topics(), timeout))


async def _positions(consumer: AIOKafkaConsumer, topic: str, timeout: float, *, from_start: bool
                     ) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """Assigns the topic's partitions; returns where reading starts and the replayer's offsets."""
    cluster = await bounded(consumer._client.fetch_all_metadata(), timeout)
    partitions = [TopicPartition(topic, number)
                  for number in sorted(cluster.partitions_for_topic(topic) or ())]
    if not partitions:
        raise LookupError(f"topic {topic!r} does not exist")
    consumer.assign(partitions)
    beginnings = await bounded(consumer.beginning_offsets(partitions), timeout)
    committed = {tp: await bounded(consumer.committed(tp), timeout) for tp in partitions}
    replayed_up_to = {tp: max(committed[tp] or 0, beginnings[tp]) for tp in partitions}
    start = beginnings if from_start else replayed_up_to
    for tp in partitions:
        consumer.seek(tp, start[tp])
    return dict(start), replayed_up_to


async def _read(consumer: AIOKafkaConsumer, starts: dict[TopicPartition, int], timeout: float,
                limit: int | None) -> list[ConsumerRecord]:
    """Reads from the assigned positions to today's end; the first `limit` records by time.

    Each partition contributes a prefix (offsets in order), so committing `offset + 1` per
    partition after replaying them never skips a record.
    """
    ends = await bounded(consumer.end_offsets(list(starts)), timeout)
    by_partition: dict[TopicPartition, list[ConsumerRecord]] = {tp: [] for tp in starts}
    pending = {tp for tp in starts if starts[tp] < ends[tp]}
    deadline = asyncio.get_running_loop().time() + timeout
    while pending:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"no record for {timeout:.0f}s while reading {sorted(map(str, pending))}")
        batches = await bounded(consumer.getmany(*pending, timeout_ms=500), timeout)
        for tp, batch in batches.items():
            by_partition[tp] += [record for record in batch if record.offset < ends[tp]]
            deadline = asyncio.get_running_loop().time() + timeout
            if by_partition[tp] and by_partition[tp][-1].offset >= ends[tp] - 1:
                pending.discard(tp)
    merged = list(merge_by_time(by_partition.values()))
    return merged if limit is None else merged[:max(limit, 0)]


def _header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return value.decode(errors="replace")
    return None


def _letter(record: ConsumerRecord, replayed: bool) -> DeadLetter:
    return DeadLetter(topic=record.topic, partition=record.partition, offset=record.offset,
                      key=(record.key or b"").decode(errors="replace"),
                      source_topic=_header(record, DLQ_SOURCE_TOPIC_HEADER),
                      group=_header(record, DLQ_GROUP_HEADER),
                      error=_header(record, DLQ_ERROR_HEADER) or "", timestamp_ms=record.timestamp,
                      replayed=replayed, value=record.value or b"")


# ---------------------------------------------------------------------------------------------
# CLI

dlq_app = typer.Typer(name="dlq", help="Inspect dead-lettered records and replay them after a fix.",
                      no_args_is_help=True)


def _kafka() -> tuple[str, str, float]:
    settings = ServiceSettings()
    return settings.kafka_bootstrap_servers, settings.kafka_topic_prefix, settings.kafka_timeout_seconds


@dlq_app.command("list")
def dlq_list(topic: str | None = typer.Option(None, help="A contract topic or its .dlq; default all."),
             limit: int = typer.Option(100, min=1, help="Records to show at most.")) -> None:
    """Show parked records: where from, which group parked them, why, and whether replayed."""
    bootstrap, prefix, timeout = _kafka()
    topics = [dlq_topic_name(topic, prefix)] if topic else None
    try:
        letters = asyncio.run(list_dead_letters(bootstrap, topics, prefix=prefix, limit=limit,
                                                timeout=timeout))
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="--topic") from None
    for letter in letters:
        at = datetime.fromtimestamp(letter.timestamp_ms / 1000, UTC).isoformat(timespec="seconds")
        state = "replayed" if letter.replayed else "parked"
        typer.echo(f"{letter.topic}\t{letter.partition}:{letter.offset}\t{at}\t{state}\t"
                   f"key={letter.key or '-'}\tgroup={letter.group or '-'}\t"
                   f"source={letter.source_topic or '-'}\terror={letter.error}")
    typer.echo(f"{len(letters)} dead letter(s)")


@dlq_app.command("replay")
def dlq_replay(topic: str = typer.Option(..., help="A contract topic or its .dlq."),
               limit: int | None = typer.Option(None, min=1, help="Replay at most this many.")) -> None:
    """Republish parked records to their source topic, each once (group pmo-dlq-replayer)."""
    bootstrap, prefix, timeout = _kafka()
    try:
        result = asyncio.run(replay_dead_letters(bootstrap, dlq_topic_name(topic, prefix),
                                                 limit=limit, timeout=timeout))
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="--topic") from None
    typer.echo(f"{result.topic}: replayed {result.replayed}, skipped {result.without_source} "
               f"without a source topic, {result.remaining} left")
