"""catalog's rows: functions, services, the segments each serves, and every lifecycle move."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import NAMING_CONVENTION, UTCDateTime, add_mechanism_tables


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


MECHANISMS = add_mechanism_tables(Base.metadata)


class FunctionRow(Base):
    """A PMO function (governance, reporting, ...): the theme its services belong to."""

    __tablename__ = "functions"
    __table_args__ = (Index("ix_functions_created", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))

    __mapper_args__ = {"version_id_col": version}


class ServiceRow(Base):
    __tablename__ = "services"
    __table_args__ = (Index("ix_services_created", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    function_code: Mapped[str] = mapped_column(ForeignKey("functions.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    target_segments: Mapped[list[str]] = mapped_column(JSON)
    value_propositions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    owner: Mapped[str | None] = mapped_column(String(200))
    capacity_per_month: Mapped[int | None] = mapped_column(Integer)
    lifecycle_state: Mapped[str] = mapped_column(String(20), index=True)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pilot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The pilot's end date again, as a column, so overdue pilots are found by plain SQL.
    pilot_ends_on: Mapped[date | None] = mapped_column(Date, index=True)
    replacement_service_id: Mapped[str | None] = mapped_column(String(36))
    created_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}


class ServiceSegmentRow(Base):
    """One targeted segment of a service: `target_segments` as rows, so filters are portable SQL."""

    __tablename__ = "service_segments"

    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), primary_key=True)
    segment: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class TransitionRow(Base):
    """One lifecycle move of a service, with who made it, why, and what backed it."""

    __tablename__ = "service_transitions"
    __table_args__ = (Index("ix_service_transitions_created", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    pilot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    replacement_service_id: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
