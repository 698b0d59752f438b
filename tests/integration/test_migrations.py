"""The Alembic history builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.db import create_engine, is_sqlite
from core.models import metadata
from sotay.migrate import alembic_config


def _upgrade_then_diff(connection, url: str) -> list:  # type: ignore[no-untyped-def]
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return compare_metadata(MigrationContext.configure(connection), metadata)


async def test_upgrade_head_matches_models(database_url, tmp_path) -> None:
    if is_sqlite(database_url):
        url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
        engine = create_engine(url)
        async with engine.begin() as connection:
            diff = await connection.run_sync(_upgrade_then_diff, url)
        await engine.dispose()
    else:
        # A scratch schema keeps the other tests' tables untouched.
        admin = create_engine(database_url)
        async with admin.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            await connection.execute(text("CREATE SCHEMA migration_check"))
        engine = create_async_engine(database_url, connect_args={"server_settings": {"search_path": "migration_check"}})
        async with engine.begin() as connection:
            diff = await connection.run_sync(_upgrade_then_diff, database_url)
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text("DROP SCHEMA migration_check CASCADE"))
        await admin.dispose()
    assert diff == [], diff
