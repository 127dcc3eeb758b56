"""Alembic environment: runs migrations on the engine handed over by store.db.upgrade."""

from __future__ import annotations

from alembic import context

from sanctuarygate.store.tables import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
