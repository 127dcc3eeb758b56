"""misuse_report: residents' reports of city property used by immigration enforcement

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "misuse_report",
        sa.Column("id", sa.String(16), primary_key=True, autoincrement=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(64), nullable=False),
        sa.Column("property_id", sa.String(64), nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("seen_on", sa.Date, nullable=False),
        sa.Column("seen_time", sa.String(5), nullable=True),
        sa.Column("what_seen", sa.String(64), nullable=False),
        sa.Column("details", sa.String(2000), nullable=True),
        sa.Column("photos", sa.JSON, nullable=False),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reviewed_by", sa.String(16), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("case_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_misuse_report_place", "misuse_report", ["place"])
    op.create_index("ix_misuse_report_property_id", "misuse_report", ["property_id"])


def downgrade() -> None:
    op.drop_index("ix_misuse_report_property_id", table_name="misuse_report")
    op.drop_index("ix_misuse_report_place", table_name="misuse_report")
    op.drop_table("misuse_report")
