"""The migrations and the tables the code declares are one schema."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import intake_store.app  # noqa: F401 - every feature's tables, as the app has them
from intake_store.db import alembic_config, make_engine


def test_the_migrations_build_exactly_the_declared_tables(db_url):
    engine = make_engine(db_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
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
