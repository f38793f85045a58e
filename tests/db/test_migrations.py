"""Migrations build exactly the schema the models describe, and can be walked back."""

from alembic import command

from intentsync.db.migrate import alembic_config


def test_migrated_schema_matches_the_models(database_url):
    command.check(alembic_config(database_url))  # raises when a model change lacks a migration
