"""case_exception: accountable exceptions (break-glass) granted on a case, and their approvals

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_exception",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.Column("clause", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("rules_outcome", sa.String(32), nullable=False),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.BigInteger, nullable=False),
        sa.Column("needs_second", sa.Boolean, nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approval_index", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_case_exception_case_id", "case_exception", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_exception_case_id", table_name="case_exception")
    op.drop_table("case_exception")
