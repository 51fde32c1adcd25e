"""A service's start-up work (the prioritizer's rescore of what a migration listed) runs before
its relay and consumer start, so it never races an event the consumer applies. Against the real
broker: with messaging enabled, the start-up hook finds neither yet, and both run after it."""

from __future__ import annotations

import dataclasses
import os

import pytest

from services.prioritizer.app import SPEC
from services.prioritizer.settings import PrioritizerSettings
from shared.app import create_service_app
from shared.testing.fixtures import fresh_database_url, running_client
from shared.testing.scratch_topics import scratch_prefix

pytestmark = pytest.mark.kafka

BOOTSTRAP = os.environ.get("PMO_KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092"


async def test_start_up_work_runs_before_the_relay_and_the_consumer(tmp_path):
    seen = {}

    async def on_start(runtime) -> None:
        seen["relay"], seen["consumer"] = runtime.relay, runtime.consumer
        await SPEC.on_start(runtime)

    spec = dataclasses.replace(SPEC, on_start=on_start)
    async with fresh_database_url(tmp_path, "prioritizer") as url:
        settings = PrioritizerSettings(database_url=url, data_dir=tmp_path, kafka_enabled=True,
                                       kafka_bootstrap_servers=BOOTSTRAP,
                                       kafka_topic_prefix=scratch_prefix("start"))
        app = create_service_app(spec, settings)
        async with running_client(app):
            runtime = app.state.runtime
            assert seen == {"relay": None, "consumer": None}
            assert runtime.relay is not None and runtime.consumer is not None
