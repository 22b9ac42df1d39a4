"""Alembic environment for the console's own tables (console_*), run by staff_console.migrate.

The version table is ``console_alembic_version`` so the console never collides with another
Alembic user of the same database, and Rasa's ``events`` table is never part of a migration.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    version_table="console_alembic_version",
    transactional_ddl=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
