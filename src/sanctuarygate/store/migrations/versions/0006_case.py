"""case_file, case_event: requests that reached a person (a review), and each case's history

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_file",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("assignee", sa.String(16), nullable=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("asked_by", sa.String(200), nullable=True),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("person_ref", sa.String(64), nullable=True),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("decision", sa.JSON, nullable=False),
        sa.Column("log_index", sa.BigInteger, nullable=True, unique=True),
        sa.Column("review_outcome", sa.String(32), nullable=True),
        sa.Column("review_conditions", sa.JSON, nullable=True),
        sa.Column("review_reason", sa.Text, nullable=True),
        sa.Column("review_clause", sa.String(200), nullable=True),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("review_index", sa.BigInteger, nullable=True),
        sa.Column("notes", sa.Text, nullable=True),
    )
    op.create_index("ix_case_file_state", "case_file", ["state"])
    op.create_index("ix_case_file_agency", "case_file", ["agency"])
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("log_index", sa.BigInteger, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("ix_case_event_case_id", "case_event", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_event_case_id", table_name="case_event")
    op.drop_table("case_event")
    op.drop_index("ix_case_file_agency", table_name="case_file")
    op.drop_index("ix_case_file_state", table_name="case_file")
    op.drop_table("case_file")
