"""feedback's request and response bodies (contract §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from services.feedback.domain import (
    CSAT_RANGE,
    EFFORT_RANGE,
    NPS_RANGE,
    PERCEIVED_VALUE_RANGE,
    AlertStatus,
    SurveyStatus,
    is_overdue,
)
from services.feedback.models import AlertRow
from shared.schemas import NON_BLANK, InputModel, OutputModel, Timestamp

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NON_BLANK)]
Uuid = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$", to_lower=True)]


class ResponseCreate(InputModel):
    customer_id: Uuid
    service_id: Uuid
    demand_id: Uuid | None = None
    csat: int = Field(ge=CSAT_RANGE[0], le=CSAT_RANGE[1])
    perceived_value: int = Field(ge=PERCEIVED_VALUE_RANGE[0], le=PERCEIVED_VALUE_RANGE[1])
    nps: int | None = Field(None, ge=NPS_RANGE[0], le=NPS_RANGE[1])
    effort: int | None = Field(None, ge=EFFORT_RANGE[0], le=EFFORT_RANGE[1])
    comment: str | None = Field(None, max_length=4000)
    channel: str | None = Field(None, min_length=1, max_length=100, pattern=NON_BLANK)


class ResponseOut(OutputModel):
    id: str
    customer_id: str
    service_id: str
    demand_id: str | None
    segment: str = Field(description="The customer's segment when it answered")
    csat: int
    perceived_value: int
    nps: int | None
    effort: int | None
    comment: str | None
    channel: str | None
    submitted_by: str
    created_at: Timestamp


class AlertAssign(InputModel):
    assignee: ShortText


class AlertResolve(InputModel):
    note: str = Field(min_length=1, max_length=4000, pattern=NON_BLANK)


class AlertOut(OutputModel):
    id: str
    customer_id: str
    service_id: str
    response_id: str
    csat: int
    nps: int | None
    reason: str
    status: AlertStatus
    assignee: str | None
    note: str | None
    resolved_by: str | None
    opened_at: Timestamp
    updated_at: Timestamp
    resolved_at: Timestamp | None
    overdue: bool = Field(False, description="Open and older than the follow-up deadline")
    version: int

    @classmethod
    def of(cls, row: AlertRow, now: datetime, overdue_days: int) -> "AlertOut":
        """The alert as served at `now`; `overdue` is computed, never stored."""
        out = cls.model_validate(row)
        out.overdue = is_overdue(row.status, row.opened_at, now, overdue_days)
        return out


class SurveyOut(OutputModel):
    id: str
    customer_id: str
    service_id: str | None
    demand_id: str
    demand_title: str | None
    status: SurveyStatus
    response_id: str | None
    opened_at: Timestamp
    completed_at: Timestamp | None
    version: int


class Scores(OutputModel):
    responses: int
    csat_avg: float | None
    perceived_value_avg: float | None
    nps: float | None
    effort_avg: float | None


class TrendPoint(OutputModel):
    period: str = Field(description="Calendar month (UTC), YYYY-MM")
    csat_avg: float | None
    perceived_value_avg: float | None
    responses: int


class ServiceSummary(Scores):
    service_id: str
    window_days: int
    by_segment: dict[str, Scores]
    trend: list[TrendPoint]


class PortfolioItem(Scores):
    service_id: str
    name: str
    function_code: str
    lifecycle_state: str
    open_alerts: int


class PortfolioSummary(OutputModel):
    window_days: int
    segment: str | None
    function_code: str | None
    items: list[PortfolioItem]
