"""How Alembic runs griddesk's revisions: on the connection :mod:`storage.schema` hands it.

griddesk's engines are asynchronous and the upgrade must share the caller's transaction (it
holds the upgrade lock), so Alembic never opens a database of its own here: the caller runs
``command.upgrade`` inside ``AsyncConnection.run_sync`` and passes that connection in
``config.attributes["connection"]``. Batch mode is on, so that a revision's ``ALTER`` of a
column on SQLite, which cannot alter columns, recreates the table with its rows.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "griddesk's migrations run inside the store (griddesk migrate, or any start-up); "
        "they are not run with the alembic command"
    )
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
