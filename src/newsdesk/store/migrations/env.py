"""Alembic runs the revisions on the connection the store hands it, inside its locked transaction."""

from __future__ import annotations

from alembic import context

from newsdesk.store.migrate import VERSION_TABLE
from newsdesk.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=metadata, render_as_batch=True, version_table=VERSION_TABLE
)
with context.begin_transaction():
    context.run_migrations()
