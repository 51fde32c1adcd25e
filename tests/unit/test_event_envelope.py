"""encode_event writes with orjson what pydantic would write for the same CloudEvent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from shared.events import decode_event, encode_event, new_event

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-2**80, 2**80) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.datetimes(timezones=st.just(UTC)) | st.decimals(allow_nan=False, allow_infinity=False,
                                                          places=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


def pydantic_json(event) -> dict:
    return json.loads(event.model_dump_json(exclude_none=True))


@settings(max_examples=200, deadline=None)
@given(data=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6),
       traceparent=st.none() | st.just("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
def test_encoding_matches_pydantic_for_any_data(data, traceparent):
    event = new_event("prioritizer", "pmo.demand.reprioritized", "d-1", data, 3, traceparent)
    assert json.loads(encode_event(event)) == pydantic_json(event)


def test_time_is_utc_with_a_z_and_microseconds_and_none_fields_are_left_out():
    event = new_event("intake", "pmo.demand.submitted", "d-1", {"a": None, "n": Decimal("1.50")}, 1)
    event = event.model_copy(update={
        "time": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        "traceparent": None})
    raw = json.loads(encode_event(event))
    assert raw["time"] == "2026-01-02T01:04:05.000000Z"
    assert "traceparent" not in raw
    assert raw["data"] == {"a": None, "n": "1.50"}  # None inside data is data, kept
    assert raw == pydantic_json(event)


def test_an_encoded_event_decodes_to_the_same_event():
    event = new_event("intake", "pmo.demand.submitted", "d-1",
                      {"tags": ["a", "b"], "at": datetime(2026, 5, 1, tzinfo=UTC)}, 7)
    decoded = decode_event(encode_event(event))
    assert decoded.model_dump(exclude={"data"}) == event.model_dump(exclude={"data"})
    assert decoded.data == {"tags": ["a", "b"], "at": "2026-05-01T00:00:00Z"}


def test_an_integer_orjson_refuses_is_written_as_pydantic_writes_it():
    event = new_event("intake", "pmo.demand.submitted", "d-1", {"n": 2**70, "m": -(2**64)}, 1)
    assert json.loads(encode_event(event))["data"] == {"n": 2**70, "m": -(2**64)}
    assert json.loads(encode_event(event)) == pydantic_json(event)


def test_a_model_inside_data_is_written_as_pydantic_writes_it():
    class Inner(BaseModel):
        kept: int
        dropped: str | None = None

    event = new_event("intake", "pmo.demand.submitted", "d-1", {"inner": Inner(kept=1)}, 1)
    assert json.loads(encode_event(event))["data"] == {"inner": {"kept": 1}}
    assert json.loads(encode_event(event)) == pydantic_json(event)
