"""intake's rows: customers, demands, endorsements, and its projection of the catalog."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import NAMING_CONVENTION, UTCDateTime, add_mechanism_tables


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


MECHANISMS = add_mechanism_tables(Base.metadata)


class CustomerRow(Base):
    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_created", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    segment: Mapped[str] = mapped_column(String(40), index=True)
    business_unit: Mapped[str | None] = mapped_column(String(200), index=True)
    strategic_importance: Mapped[int] = mapped_column(Integer)
    maturity: Mapped[int] = mapped_column(Integer)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))

    __mapper_args__ = {"version_id_col": version}


class DemandRow(Base):
    __tablename__ = "demands"
    __table_args__ = (Index("ix_demands_created", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    desired_outcome: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    function_code: Mapped[str | None] = mapped_column(String(64))
    service_id: Mapped[str | None] = mapped_column(String(36), index=True)
    severity: Mapped[int] = mapped_column(Integer)
    urgency: Mapped[int] = mapped_column(Integer)
    reach: Mapped[int] = mapped_column(Integer)
    effort_estimate: Mapped[int | None] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    tags: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    endorsements: Mapped[int] = mapped_column(Integer)
    captured_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}


class EndorsementRow(Base):
    __tablename__ = "endorsements"
    __table_args__ = (UniqueConstraint("demand_id", "customer_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    demand_id: Mapped[str] = mapped_column(ForeignKey("demands.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    note: Mapped[str | None] = mapped_column(Text)
    endorsed_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KnownFunctionRow(Base):
    """A catalog function as intake last heard of it (from `pmo.function.created`)."""

    __tablename__ = "known_functions"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class KnownServiceRow(Base):
    """A catalog service as intake last heard of it; `version` keeps late events from winning."""

    __tablename__ = "known_services"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    function_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    lifecycle_state: Mapped[str] = mapped_column(String(20))
    replacement_service_id: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
