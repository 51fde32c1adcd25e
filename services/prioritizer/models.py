"""prioritizer's read models, built only from events, and its policy and score history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import NAMING_CONVENTION, UTCDateTime, add_mechanism_tables


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


MECHANISMS = add_mechanism_tables(Base.metadata)


class CustomerView(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    segment: Mapped[str] = mapped_column(String(40))
    strategic_importance: Mapped[int] = mapped_column(Integer)
    maturity: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)


class DemandView(Base):
    """One demand as intake last told it, with its current score and explanation."""

    __tablename__ = "demands"
    __table_args__ = (
        Index("ix_demands_ranking", "is_open", "score", "id"),
        # A customer's open items in the order their dampening counts them, with what tells
        # whether each still sits in its band and its age still holds: a demand event reads its
        # customer's order from here alone, not a thousand rows (rescoring._rescore_moved).
        Index("ix_demands_customer_order", "customer_id", "is_open", text("base_score DESC"),
              "submitted_at", "id", "counted_position", "aged_since", "aged_until"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    function_code: Mapped[str | None] = mapped_column(String(64), index=True)
    service_id: Mapped[str | None] = mapped_column(String(36), index=True)
    severity: Mapped[int] = mapped_column(Integer)
    urgency: Mapped[int] = mapped_column(Integer)
    reach: Mapped[int] = mapped_column(Integer)
    effort_estimate: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    is_open: Mapped[bool] = mapped_column(Boolean)
    segment: Mapped[str | None] = mapped_column(String(40), index=True)
    endorsed_by: Mapped[list[str]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    score_version: Mapped[int] = mapped_column(Integer)
    # Stored compactly: its shared factors by their key in `score_factors` (explanations.py).
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where its score stands among its customer's open items, as stored with the score (null
    # until first scored): its undamped score, the position its dampening counts it at, and the
    # span in which its age in whole days holds.
    base_score: Mapped[float | None] = mapped_column(Float)
    counted_position: Mapped[int | None] = mapped_column(Integer)
    aged_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    aged_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Text terms for similarity (grouping.py) and the group of similar open demands it belongs to.
    terms: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    group_id: Mapped[str | None] = mapped_column(String(36), index=True)


class EndorsementView(Base):
    """Who endorsed what, so a customer's change rescores the demands it stands behind."""

    __tablename__ = "endorsements"

    demand_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class ServiceView(Base):
    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    function_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    lifecycle_state: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ServiceFeedbackView(Base):
    """Running sums of feedback per service: enough for averages without keeping responses."""

    __tablename__ = "service_feedback"

    service_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    responses: Mapped[int] = mapped_column(Integer)
    csat_sum: Mapped[int] = mapped_column(Integer)
    perceived_value_sum: Mapped[int] = mapped_column(Integer)
    effort_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    effort_sum: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Answers from mature customers (maturity >= 4 when they answered): the `simplify` signal.
    mature_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    mature_perceived_value_sum: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    mature_effort_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    mature_effort_sum: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PolicyRow(Base):
    __tablename__ = "policies"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    segment_weights: Mapped[dict[str, float]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RescoreDue(Base):
    """A customer whose open items are due a whole rescore at the next start-up, with why: a
    migration that changes how scores are computed lists them here (it cannot score), and the
    service rescores and removes them before it consumes (rescoring.rescore_due_customers)."""

    __tablename__ = "rescore_due"

    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))


class ScoreFactorRow(Base):
    """One factor of explanations, as it reads (name, value, weight, contribution, inputs,
    sentence), stored once under a digest of itself: the demand rows that hold it list the key
    (explanations.py). Never changed or removed, so a key always reads as the same factor."""

    __tablename__ = "score_factors"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class ScoreChangeRow(Base):
    """Every score change with the event that caused it: the accountability trail."""

    __tablename__ = "score_history"
    __table_args__ = (Index("ix_score_history_demand", "demand_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    demand_id: Mapped[str] = mapped_column(String(36))
    previous_score: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    policy_version: Mapped[int] = mapped_column(Integer)
    cause_event_id: Mapped[str | None] = mapped_column(String(200))
    cause_type: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class DemandTerm(Base):
    """The token index of open demands: a new demand is compared only with those sharing terms."""

    __tablename__ = "demand_terms"

    term: Mapped[str] = mapped_column(String(16), primary_key=True)
    demand_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class DemandLink(Base):
    """Two open demands describing the same need; stored in both directions."""

    __tablename__ = "demand_links"

    demand_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    other_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    similarity: Mapped[float] = mapped_column(Float)


class RecommendationRow(Base):
    """The current recommendation for one service, or a `propose_service` for one demand group."""

    __tablename__ = "recommendations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # service id or group id
    subject_kind: Mapped[str] = mapped_column(String(20))  # "service" or "demand_group"
    service_id: Mapped[str | None] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(20), index=True)
    rationale: Mapped[str] = mapped_column(Text)
    signals: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The tables' columns, for the statements a rescore runs by the thousand: a select of columns
# built on the table runs ~40 µs cheaper than through the mapped class (the ORM's execution).
DEMAND_COLUMNS = DemandView.__table__.c
CUSTOMER_COLUMNS = CustomerView.__table__.c
POLICY_COLUMNS = PolicyRow.__table__.c
ENDORSEMENT_COLUMNS = EndorsementView.__table__.c
TERM_COLUMNS = DemandTerm.__table__.c
LINK_COLUMNS = DemandLink.__table__.c
