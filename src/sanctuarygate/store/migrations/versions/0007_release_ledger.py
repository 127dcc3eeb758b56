"""release_ledger: the city's private record of which rows each released query sent to whom

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_ledger",
        sa.Column("query", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("part", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("row_keys", sa.LargeBinary, nullable=False),
        sa.Column("fingerprints", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_release_ledger_dataset", "release_ledger", ["dataset"])


def downgrade() -> None:
    op.drop_index("ix_release_ledger_dataset", table_name="release_ledger")
    op.drop_table("release_ledger")
