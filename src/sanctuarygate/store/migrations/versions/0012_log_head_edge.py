"""log_head keeps the tree's right edge (edge, for the size edge_size): a group commit's lock
statement returns every node the commit needs, so it reads no log_node under the lock

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null: no edge kept yet; the first group commit reads the nodes it needs, and keeps one.
    op.add_column("log_head", sa.Column("edge_size", sa.BigInteger, nullable=True))
    op.add_column("log_head", sa.Column("edge", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("log_head") as batch:
        batch.drop_column("edge")
        batch.drop_column("edge_size")
