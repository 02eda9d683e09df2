"""Alembic environment: the schema is SQLModel's metadata."""
from alembic import context
from sqlmodel import SQLModel

from intake_store import models  # noqa: F401  (registers the tables)
from intake_store.console import accounts  # noqa: F401  (console and portal sign-in)
from intake_store.db import make_engine
from intake_store.integrity import models as integrity_models  # noqa: F401  (dishonesty records, scorecards)
from intake_store.jobs import models as jobs_models  # noqa: F401  (deadline jobs: alarms, runs)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
