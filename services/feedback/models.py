"""feedback's rows: responses, detractor alerts, pending surveys, and its projections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, synonym

from shared.db import NAMING_CONVENTION, UTCDateTime, add_mechanism_tables


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


MECHANISMS = add_mechanism_tables(Base.metadata)


class ResponseRow(Base):
    """One customer's rating of one service; `segment` is the customer's segment when it answered."""

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_created", "created_at", "id"),
                      Index("ix_responses_service_created", "service_id", "created_at"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    service_id: Mapped[str] = mapped_column(String(36))
    demand_id: Mapped[str | None] = mapped_column(String(36), index=True)
    segment: Mapped[str] = mapped_column(String(40), index=True)
    csat: Mapped[int] = mapped_column(Integer)
    perceived_value: Mapped[int] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    effort: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(100))
    submitted_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertRow(Base):
    """A detractor to follow up: opened by one response, resolved once with a note."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_opened", "opened_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    response_id: Mapped[str] = mapped_column(ForeignKey("responses.id"), unique=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    service_id: Mapped[str] = mapped_column(String(36), index=True)
    csat: Mapped[int] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), index=True)
    assignee: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)

    # Keyset pagination orders every collection by `created_at`; for an alert that is when it opened.
    created_at = synonym("opened_at")

    __mapper_args__ = {"version_id_col": version}


class SurveyRow(Base):
    """A delivered demand awaiting its customer's rating; one per demand."""

    __tablename__ = "surveys"
    __table_args__ = (Index("ix_surveys_opened", "opened_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    demand_id: Mapped[str] = mapped_column(String(36), unique=True)
    demand_title: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    service_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    response_id: Mapped[str | None] = mapped_column(String(36))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)

    # Keyset pagination orders by `created_at`; a survey is created when its demand is delivered.
    created_at = synonym("opened_at")

    __mapper_args__ = {"version_id_col": version}


class KnownCustomerRow(Base):
    """An intake customer as feedback last heard of it; `version` keeps late events from winning."""

    __tablename__ = "known_customers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    segment: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)


class KnownServiceRow(Base):
    """A catalog service as feedback last heard of it; `version` keeps late events from winning."""

    __tablename__ = "known_services"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    function_code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    lifecycle_state: Mapped[str] = mapped_column(String(20))
    replacement_service_id: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
