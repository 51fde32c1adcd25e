"""The rankings stream read over the ASGI interface: a fed event shows up as a score_changed frame
within a second, and the number of listeners is bounded."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from test_prioritizer import customer, demand, feed

from services.prioritizer.app import create_app
from services.prioritizer.settings import PrioritizerSettings
from shared.testing.fixtures import bearer, fresh_database_url, running_client

PATH = "/v1/rankings/stream"


class Listener:
    """One SSE client speaking raw ASGI to the app, as a server would."""

    def __init__(self, app, headers: dict[str, str]) -> None:
        self.messages: asyncio.Queue = asyncio.Queue()
        self._gone = asyncio.Event()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": PATH, "raw_path": PATH.encode(),
                 "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
                 "server": ("testserver", 80),
                 "headers": [(b"host", b"testserver")]
                 + [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
        self.task = asyncio.create_task(app(scope, self._receive, self.messages.put))

    async def _receive(self) -> dict:
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def status(self) -> int:
        start = await asyncio.wait_for(self.messages.get(), 5)
        assert start["type"] == "http.response.start"
        return start["status"]

    async def frame_about(self, demand_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        buffer = ""
        while time.monotonic() < deadline:
            message = await asyncio.wait_for(self.messages.get(), deadline - time.monotonic())
            buffer += message.get("body", b"").decode()
            for frame in buffer.split("\n\n"):
                lines = dict(line.split(": ", 1) for line in frame.splitlines() if ": " in line)
                if lines.get("event") == "score_changed" and demand_id in lines.get("data", ""):
                    return json.loads(lines["data"])
        raise AssertionError(f"no score_changed frame for {demand_id} within {timeout}s")

    async def close(self) -> None:
        self._gone.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.task, 5)


async def test_a_fed_event_reaches_the_stream_within_a_second(prioritizer, viewer):
    listener = Listener(prioritizer.app, viewer)
    try:
        assert await listener.status() == 200
        owner = customer()
        await feed(prioritizer, "pmo.customer.registered", owner)
        need = demand(owner["id"])
        started = time.monotonic()
        await feed(prioritizer, "pmo.demand.submitted", need)
        frame = await listener.frame_about(need["id"], timeout=1.0)
        assert time.monotonic() - started < 1.0
        assert frame["cause_type"] == "pmo.demand.submitted" and frame["previous_score"] is None
    finally:
        await listener.close()


async def test_the_stream_refuses_listeners_beyond_its_bound_and_frees_their_slots(tmp_path):
    async with fresh_database_url(tmp_path, "prioritizer") as url:
        settings = PrioritizerSettings(database_url=url, data_dir=tmp_path, kafka_enabled=False,
                                       stream_max_clients=1)
        app = create_app(settings)
        async with running_client(app) as client:
            headers = bearer("viewer")
            first = Listener(app, headers)
            assert await first.status() == 200
            refused = await client.get(PATH, headers=headers)
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            await first.close()
            second = Listener(app, headers)
            try:
                assert await second.status() == 200
            finally:
                await second.close()
            assert app.state.runtime.extras["stream"].clients == 0
