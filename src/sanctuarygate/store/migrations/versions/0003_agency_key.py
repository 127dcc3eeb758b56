"""agency_key: partner agencies' API keys, stored as hashes, revocable

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_key",
        sa.Column("key_id", sa.String(16), primary_key=True, autoincrement=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_agency_key_agency_id", "agency_key", ["agency_id"])


def downgrade() -> None:
    op.drop_index("ix_agency_key_agency_id", table_name="agency_key")
    op.drop_table("agency_key")
