"""catalog's request and response bodies (contract §3)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from services.catalog.domain import LifecycleState, Segment
from shared.schemas import NON_BLANK, InputModel, OutputModel, Timestamp

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NON_BLANK)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
Uuid = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$", to_lower=True)]
Note = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=NON_BLANK)]
Outcome = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=NON_BLANK)]


def _distinct(segments: list[Segment]) -> list[Segment]:
    if len(set(segments)) != len(segments):
        raise ValueError("target_segments repeats a segment")
    return segments


# A service targets each segment once; the schema says so and validation holds it.
TargetSegments = Annotated[list[Segment], AfterValidator(_distinct),
                           Field(min_length=1, max_length=len(Segment),
                                 json_schema_extra={"uniqueItems": True})]


class FunctionCreate(InputModel):
    code: Slug
    name: ShortText
    description: Note


class FunctionOut(OutputModel):
    id: str
    code: str
    name: str
    description: str
    version: int
    created_at: Timestamp


class ValueProposition(InputModel):
    """What a service is worth to one segment, told in that segment's words."""

    segment: Segment
    outcome: Outcome
    cost_estimate: str | None = Field(None, max_length=200)


class PilotPlan(InputModel):
    """Who trials a service, how success is judged, and when the trial ends."""

    customer_ids: list[Uuid] = Field(min_length=1, max_length=100)
    success_criteria: Note
    ends_on: date


class ServiceCreate(InputModel):
    function_code: Slug
    name: ShortText
    description: Note
    target_segments: TargetSegments
    value_propositions: list[ValueProposition] = Field(default_factory=list, max_length=len(Segment))
    owner: ShortText | None = None
    capacity_per_month: int | None = Field(None, ge=0, le=1_000_000)


class ServiceUpdate(InputModel):
    """Fields left out keep their value; only optional fields may be cleared with null."""

    function_code: Slug = None
    name: ShortText = None
    description: Note = None
    target_segments: TargetSegments = None
    value_propositions: list[ValueProposition] = Field(None, max_length=len(Segment))
    owner: ShortText | None = None
    capacity_per_month: int | None = Field(None, ge=0, le=1_000_000)


class ServiceOut(OutputModel):
    id: str
    function_code: str
    name: str
    description: str
    target_segments: list[Segment]
    value_propositions: list[ValueProposition]
    owner: str | None
    capacity_per_month: int | None
    lifecycle_state: LifecycleState
    pilot: PilotPlan | None
    replacement_service_id: str | None
    state_changed_at: Timestamp
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class ServiceListItem(ServiceOut):
    """A listed service; with `segment=X`, `value_proposition` is the one written for X."""

    value_proposition: ValueProposition | None = None


class ServiceTransition(InputModel):
    to: LifecycleState
    reason: Note | None = None
    pilot: PilotPlan | None = None
    replacement_service_id: Uuid | None = None
    evidence: Note | None = None


class TransitionOut(OutputModel):
    """One entry of a service's history; `from`/`to`/`at` are the contract's names."""

    from_state: LifecycleState = Field(validation_alias="from_state", serialization_alias="from")
    to_state: LifecycleState = Field(validation_alias="to_state", serialization_alias="to")
    reason: str | None
    actor: str
    at: Timestamp = Field(validation_alias="created_at")
    pilot: PilotPlan | None = None
    evidence: str | None = None
    replacement_service_id: str | None = None


class CatalogEntry(BaseModel):
    """A service as one segment sees it: described by the value proposition written for it."""

    id: str
    name: str
    lifecycle_state: LifecycleState
    outcome: str | None
    cost_estimate: str | None


class CatalogFunction(BaseModel):
    code: str
    name: str
    services: list[CatalogEntry]


class CatalogOut(BaseModel):
    """What one segment can use today (services in pilot or active), grouped by function."""

    segment: Segment
    functions: list[CatalogFunction]
