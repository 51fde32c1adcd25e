"""prioritizer's request and response bodies (contract §5)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.schemas import InputModel, OutputModel, Timestamp


class FactorOut(OutputModel):
    name: str
    value: float
    weight: float
    contribution: float


class FactorExplained(FactorOut):
    inputs: dict[str, Any]
    explanation: str


class RankingItem(OutputModel):
    rank: int
    demand_id: str
    title: str
    customer_id: str
    segment: str | None
    status: str
    score: float
    factors: list[FactorOut]
    top_contributor_share: float = Field(
        description="Share of the positive score brought by its single largest factor")


class RankingPage(OutputModel):
    items: list[RankingItem]
    next_cursor: str | None
    policy_version: int


class RankingDetail(OutputModel):
    rank: int | None = Field(description="Position in the whole open ranking; null once closed")
    demand_id: str
    title: str
    customer_id: str
    segment: str | None
    status: str
    score: float
    policy_version: int
    scored_at: Timestamp
    factors: list[FactorExplained]
    top_contributor_share: float


class ScoreChangeOut(OutputModel):
    demand_id: str
    previous_score: float | None
    score: float
    policy_version: int
    cause_event_id: str | None
    cause_type: str
    at: Timestamp


class PolicyOut(OutputModel):
    version: int
    weights: dict[str, float]
    segment_weights: dict[str, float]
    changed_by: str
    reason: str | None
    created_at: Timestamp


class PolicyUpdate(InputModel):
    """Weights to change; factors and segments left out keep their current weight."""

    weights: dict[str, float] = Field(default_factory=dict, max_length=20)
    segment_weights: dict[str, float] = Field(default_factory=dict, max_length=10)
    reason: str | None = Field(None, max_length=2000)
