"""prioritizer's request and response bodies (contract §5)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

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
    largest_customer_share: float = Field(
        description="Share of the positive score attributed to its single largest contributor "
                    "customer (see docs/prioritization.md)")
    group_id: str | None = Field(description="The group of similar open demand it belongs to")


class RankingPage(OutputModel):
    items: list[RankingItem]
    next_cursor: str | None
    policy_version: int


class Lever(OutputModel):
    lever: str = Field(description="endorsements, severity, urgency, reach, effort_estimate, "
                                   "own_position, or factor:<name>")
    description: str
    current: Any
    needed: Any
    resulting_score: float | None


class MoveIt(OutputModel):
    target_rank: int
    rank: int
    score: float
    target_score: float | None = Field(description="Score of the item now at the target rank, "
                                                    "this one left out")
    gap: float
    in_target: bool
    levers: list[Lever]


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
    largest_customer_share: float
    group_id: str | None
    what_would_move_it: MoveIt | None = Field(
        description="Computed levers that would lift it into the top `target_rank`; null once closed")


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


Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,63}$")]
Weight = Annotated[float, Field(ge=-1.0, le=1.0)]  # the domain narrows each factor's range
CLOSED = {"additionalProperties": False}  # a key that is not a Name is refused, as the schema says


class PolicyUpdate(InputModel):
    """Weights to change; factors and segments left out keep their current weight."""

    weights: dict[Name, Weight] = Field(default_factory=dict, max_length=20, json_schema_extra=CLOSED)
    segment_weights: dict[Name, Weight] = Field(default_factory=dict, max_length=10,
                                                json_schema_extra=CLOSED)
    reason: str | None = Field(None, max_length=2000)


class GroupMember(OutputModel):
    demand_id: str
    title: str
    customer_id: str
    segment: str | None
    status: str
    score: float
    endorsements: int


class DemandGroupOut(OutputModel):
    group_id: str = Field(description="The id of its earliest member")
    label: str = Field(description="The earliest member's title")
    keywords: list[str]
    function_code: str | None
    service_id: str | None
    member_count: int
    members: list[GroupMember] = Field(description="Open members, earliest first (at most 50)")
    customers: list[str] = Field(description="Customers who raised or endorsed a member")
    customer_count: int
    segments: list[str]
    endorsements: int


class CoverageNeed(OutputModel):
    demand_id: str
    title: str
    customer_id: str
    status: str
    score: float
    rank: int


class SegmentCoverage(OutputModel):
    segment: str
    open_needs: int
    in_top_n: int
    best_rank: int | None
    needs: list[CoverageNeed]
    starved: bool = Field(description="Has open needs and none of them in the top N")


class CoverageOut(OutputModel):
    top_n: int
    threshold_score: float | None
    segments: list[SegmentCoverage]
    starved_segments: list[str]


class WeightChange(OutputModel):
    direction: str
    weight: float
    overlap: int
    overlap_share: float
    entered: list[str]
    left: list[str]
    mean_displacement: float
    max_displacement: int


class WeightSensitivity(OutputModel):
    factor: str
    weight: float
    changes: list[WeightChange]


class SensitivityOut(OutputModel):
    policy_version: int
    top_n: int
    items_considered: int
    baseline_top: list[str]
    weights: list[WeightSensitivity] = Field(description="Most sensitive first")
    most_sensitive: str | None


class RecommendationOut(OutputModel):
    id: str = Field(description="The service id, or the demand group id for propose_service")
    subject_kind: str
    service_id: str | None
    action: str
    rationale: str
    signals: dict[str, Any]
    version: int
    updated_at: Timestamp


class RoadmapEntry(OutputModel):
    demand_id: str
    title: str
    customer_id: str
    score: float
    pain: float
    effort_days: int
    effort_estimated: bool
    quick_win: bool
    reason: str


class RoadmapOut(OutputModel):
    customer_id: str | None
    segment: str | None
    capacity_days: int
    quick_win_days: int
    default_effort_days: int
    now: list[RoadmapEntry]
    next: list[RoadmapEntry]
    later: list[RoadmapEntry] = Field(description="Paged by limit and cursor")
    later_total: int
    next_cursor: str | None
