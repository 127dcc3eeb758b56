"""city_property: the city's property registry (lots, garages, buildings...), imported from GeoJSON

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "city_property",
        sa.Column("id", sa.String(64), primary_key=True, autoincrement=False),
        sa.Column("place", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("address", sa.String(300), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("leased", sa.Boolean, nullable=False),
        sa.Column("department", sa.String(300), nullable=True),
        sa.Column("gates_lockable", sa.Boolean, nullable=True),
        sa.Column("sign_posted_on", sa.Date, nullable=True),
        sa.Column("sign_posted_by", sa.String(300), nullable=True),
        sa.Column("geometry", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_city_property_place", "city_property", ["place"])
    op.create_index("ix_city_property_department", "city_property", ["department"])


def downgrade() -> None:
    op.drop_index("ix_city_property_department", table_name="city_property")
    op.drop_index("ix_city_property_place", table_name="city_property")
    op.drop_table("city_property")
