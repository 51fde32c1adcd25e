"""One trace from an intake request, through the outbox and the CloudEvent, to the prioritizer.

In-process: the event is taken from intake's outbox exactly as the relay would send it, decoded
as a consumer would, and applied to the prioritizer through `shared.consumer.apply_once`.
"""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.util._once import Once
from sqlalchemy import select

from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.prioritizer.app import create_app as create_prioritizer
from services.prioritizer.settings import PrioritizerSettings
from shared.consumer import apply_once
from shared.events import decode_event
from shared.testing.fixtures import bearer, fresh_database_url, running_client

CUSTOMER = {"name": "Finance Transformation Office", "segment": "program_leader",
            "strategic_importance": 4, "maturity": 2}


@pytest.fixture
def spans():
    """A recording tracer provider for this test only; the globals are reset afterwards."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    yield exporter
    exporter.shutdown()
    # What opentelemetry-test-utils' reset_trace_globals does: later tests see the no-op API again.
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None


def _settings(settings_class, url, tmp_path):
    return settings_class(database_url=url, data_dir=tmp_path, kafka_enabled=False,
                          rate_limit_writes_per_minute=0)


async def _outbox_events(app):
    runtime = app.state.runtime
    outbox = runtime.db.tables.outbox
    async with runtime.db.sessions() as session:
        rows = (await session.execute(select(outbox.c.payload).order_by(outbox.c.id))).all()
    # The relay sends `payload.encode()`; a consumer decodes the record value.
    return [decode_event(row.payload.encode()) for row in rows]


def _trace_id(traceparent: str) -> int:
    return int(traceparent.split("-")[1], 16)


async def test_an_intake_request_and_the_prioritizer_consumer_share_one_trace(spans, tmp_path):
    headers = bearer("integration", "erp")
    async with fresh_database_url(tmp_path, "intake") as intake_url, \
            fresh_database_url(tmp_path, "prioritizer") as prioritizer_url:
        intake_app = create_intake(_settings(IntakeSettings, intake_url, tmp_path))
        prioritizer_app = create_prioritizer(_settings(PrioritizerSettings, prioritizer_url, tmp_path))
        async with running_client(intake_app) as intake, running_client(prioritizer_app):
            customer = (await intake.post("/v1/customers", json=CUSTOMER, headers=headers)).json()
            response = await intake.post("/v1/demands", headers=headers, json={
                "customer_id": customer["id"], "title": "Status reports take two days",
                "problem": "The deck is rebuilt by hand every Friday.", "kind": "pain_point",
                "severity": 4})
            assert response.status_code == 201, response.text

            requests = [span for span in spans.get_finished_spans() if span.kind is SpanKind.SERVER
                        and span.attributes.get("http.route") == "/v1/demands"]
            assert len(requests) == 1
            request_span = requests[0]

            events = {event.type: event for event in await _outbox_events(intake_app)}
            submitted = events["pmo.demand.submitted"]
            assert submitted.traceparent, "the event carries the request's traceparent"
            assert _trace_id(submitted.traceparent) == request_span.context.trace_id

            runtime = prioritizer_app.state.runtime
            for event in events.values():
                assert await apply_once(runtime.db, runtime.spec.consumes, event)

            consumed = [span for span in spans.get_finished_spans() if span.kind is SpanKind.CONSUMER
                        and span.name == "pmo.demand.submitted process"]
            assert len(consumed) == 1
            assert consumed[0].context.trace_id == request_span.context.trace_id
            assert consumed[0].parent.span_id == int(submitted.traceparent.split("-")[2], 16)
            assert consumed[0].attributes["messaging.message.id"] == submitted.id

            # The prioritizer's own events continue the same trace to their consumers.
            reprioritized = [event for event in await _outbox_events(prioritizer_app)
                             if event.type == "pmo.demand.reprioritized"
                             and event.subject == response.json()["id"]]
            assert reprioritized
            assert {_trace_id(event.traceparent) for event in reprioritized} == {
                request_span.context.trace_id}


async def test_without_a_tracer_provider_events_carry_no_traceparent(tmp_path):
    async with fresh_database_url(tmp_path, "intake") as url:
        intake_app = create_intake(_settings(IntakeSettings, url, tmp_path))
        async with running_client(intake_app) as intake:
            response = await intake.post("/v1/customers", json=CUSTOMER,
                                         headers=bearer("integration", "erp"))
            assert response.status_code == 201
            [event] = await _outbox_events(intake_app)
    assert event.traceparent is None
