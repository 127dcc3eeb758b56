"""case_document: the document shown for a case (who verified it, when; an uploaded copy)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_document",
        sa.Column("case_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("verified_by", sa.String(200), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_name", sa.String(64), nullable=True),
        sa.Column("media_type", sa.String(32), nullable=True),
        sa.Column("size", sa.Integer, nullable=True),
        sa.Column("uploaded_by", sa.String(64), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("case_document")
