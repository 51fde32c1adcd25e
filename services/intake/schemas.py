"""intake's request and response bodies (contract §2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints

from services.intake.domain import DemandStatus, Kind, Segment
from shared.schemas import NON_BLANK, InputModel, OutputModel, Timestamp

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NON_BLANK)]
Term = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NON_BLANK)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
Uuid = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$", to_lower=True)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=NON_BLANK)]
Problem = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=NON_BLANK)]
# An address, checked by a pattern the OpenAPI document states as is (a stricter validator would
# refuse addresses the published schema accepts): something@domain.tld, no spaces or controls.
Email = Annotated[str, StringConstraints(max_length=254,
                                         pattern=r"^[^@\x00-\x20\x7f]+@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]+$")]


class Profile(InputModel):
    """What the PMO knows of a customer: the value it brings, whom it serves, its words."""

    value_to_organization: str | None = Field(None, max_length=2000)
    serves: str | None = Field(None, max_length=2000)
    motivations: list[Term] = Field(default_factory=list, max_length=50)
    priorities: list[Term] = Field(default_factory=list, max_length=50)
    preferred_terms: list[Term] = Field(default_factory=list, max_length=100)


class CustomerCreate(InputModel):
    name: ShortText
    segment: Segment
    business_unit: ShortText | None = None
    strategic_importance: int = Field(ge=1, le=5)
    maturity: int = Field(ge=1, le=5)
    contact_email: Email | None = None
    profile: Profile = Field(default_factory=Profile)


class CustomerUpdate(InputModel):
    """Fields left out keep their value; only optional fields may be cleared with null."""

    name: ShortText = None
    segment: Segment = None
    business_unit: ShortText | None = None
    strategic_importance: int = Field(None, ge=1, le=5)
    maturity: int = Field(None, ge=1, le=5)
    contact_email: Email | None = None
    profile: Profile = None


class CustomerOut(OutputModel):
    id: str
    name: str
    segment: Segment
    business_unit: str | None
    strategic_importance: int
    maturity: int
    contact_email: str | None
    profile: Profile
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class DemandCreate(InputModel):
    customer_id: Uuid
    title: ShortText
    problem: Problem
    desired_outcome: str | None = Field(None, max_length=4000)
    kind: Kind
    function_code: Slug | None = None
    service_id: Uuid | None = None
    severity: int = Field(ge=1, le=5)
    urgency: int = Field(3, ge=1, le=5)
    reach: int = Field(1, ge=1, le=1_000_000)
    effort_estimate: int | None = Field(None, ge=1, le=100)
    due_date: date | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class DemandUpdate(InputModel):
    """Fields left out keep their value; only optional fields may be cleared with null."""

    title: ShortText = None
    problem: Problem = None
    desired_outcome: str | None = Field(None, max_length=4000)
    kind: Kind = None
    function_code: Slug | None = None
    service_id: Uuid | None = None
    severity: int = Field(None, ge=1, le=5)
    urgency: int = Field(None, ge=1, le=5)
    reach: int = Field(None, ge=1, le=1_000_000)
    effort_estimate: int | None = Field(None, ge=1, le=100)
    due_date: date | None = None
    tags: list[Tag] = Field(None, max_length=20)


class DemandOut(OutputModel):
    id: str
    customer_id: str
    title: str
    problem: str
    desired_outcome: str | None
    kind: Kind
    function_code: str | None
    service_id: str | None
    severity: int
    urgency: int
    reach: int
    effort_estimate: int | None
    due_date: date | None
    tags: list[str]
    status: DemandStatus
    endorsements: int
    captured_by: str
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class DemandTransition(InputModel):
    to: DemandStatus
    reason: str | None = Field(None, max_length=2000)


class EndorsementCreate(InputModel):
    customer_id: Uuid
    note: str | None = Field(None, max_length=2000)


class EndorsementOut(OutputModel):
    id: str
    demand_id: str
    customer_id: str
    note: str | None
    created_at: Timestamp
