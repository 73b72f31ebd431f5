"""Alembic environment: Chorus's metadata, batch mode for SQLite, the URL from settings."""

from logging.config import fileConfig

from alembic import context

import app.models  # noqa: F401  (registers every table)
from app.challenges import search as design_search
from app.config import get_settings
from app.db import build_engine, metadata
from app.ideas import search as ideas_search
from app.questions import search as questions_search

config = context.config
# `chorus migrate` (app.db.alembic_config) sets the URL; for plain `alembic` commands it comes from settings.
if not config.get_main_option("sqlalchemy.url"):
    config.set_main_option("sqlalchemy.url", get_settings().resolved_database_url.replace("%", "%%"))
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = build_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds tables; with foreign keys on, dropping the old copy would cascade deletes into
        # the tables that reference it. The pragma only takes effect outside a transaction, hence the raw call.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        _configure_and_run(connection)
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def _include_name(name, type_, _parent_names) -> bool:  # type: ignore[no-untyped-def]
    """Leave out the full-text search objects of ideas, questions and designs, made by hand in their migrations."""
    return not any(search.is_search_object(name, type_) for search in (ideas_search, questions_search, design_search))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
