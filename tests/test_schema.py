"""The migrations and the tables the code declares are one schema."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import String
from sqlmodel import SQLModel

import intake_store.app  # noqa: F401 - every feature's tables, as the app has them
from intake_store.db import alembic_config, make_engine


def types_differ(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Alembic's type comparison, except that SQLite keeps no text length: a
    widened text column is only altered where the length means something."""
    declared = getattr(metadata_type, "impl", metadata_type)  # SQLModel's AutoString wraps a String
    if context.dialect.name == "sqlite" and isinstance(inspected_type, String) and isinstance(declared, String):
        return False
    return None  # Alembic's own comparison


def test_the_migrations_build_exactly_the_declared_tables(db_url):
    engine = make_engine(db_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": types_differ}),
                                       SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_each_branch_of_the_migration_history_has_a_label():
    """Features branch from the core schema; a label names each branch, so one
    can be upgraded on its own (`alembic upgrade integrity@head`)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    labels = {head.revision: sorted(head.branch_labels) for head in script.get_revisions("heads")}
    assert all(len(names) == 1 for names in labels.values()), labels
    assert len({names[0] for names in labels.values()}) == len(labels), labels
