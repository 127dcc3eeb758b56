"""SQLAlchemy table definitions. Changes go through an Alembic migration as well.

``desk_answer`` keeps the answers a desk has recorded: what was asked (agency, action, resource
class, purpose, document kind), the outcome and the deciding rules. It holds no person
identifiers and never an immigration status.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

desk_answer = Table(
    "desk_answer",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("profile", String(64), nullable=False),
    Column("request_date", Date, nullable=False),
    Column("principal", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("document_kind", String(64), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("rules", JSON, nullable=False),
    Column("packs", JSON, nullable=False),
    Column("source", String(64), nullable=False),
)
