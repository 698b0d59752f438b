"""The Alembic history builds exactly the schema the models describe, on SQLite and PostgreSQL."""

import datetime as dt

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


def _backfill_check(connection, url: str) -> list:  # type: ignore[no-untyped-def]
    """Issue 17, item 1: the membership history is backfilled from the rows there were."""
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "3c1d7e9a5b20")
    connection.execute(text("INSERT INTO orgs (id, kind, name, path, depth, show_lunar_date, settings, created_at) "
                            "VALUES (1, 'cell', 'Chi bộ', '/1/', 0, false, '{}', '2026-12-01 00:00:00')"))
    for member_id, exempt, active, updated in ((1, False, True, dt.datetime(2026, 12, 1)), (2, True, True, dt.datetime(2026, 12, 1)),
                                               (3, False, False, dt.datetime(2026, 11, 10, 3, 0))):
        connection.execute(text(
            "INSERT INTO members (id, org_id, full_name, date_of_birth, gender, joined_on, card_number, citizen_id_encrypted, "
            "citizen_id_hash, exempt, exempt_receives_notices, voice_enabled, speech_speed, voice_name, active, created_at, updated_at) "
            "VALUES (:id, 1, 'A', '1950-01-01', 'male', '1980-05-01', :card, :blob, :hash, :exempt, false, true, 'normal', 'vi', :active, "
            "'2026-12-01 00:00:00', :updated)"
        ), {"id": member_id, "card": f"C{member_id}", "blob": b"x", "hash": f"h{member_id}", "exempt": exempt, "active": active, "updated": updated})
    command.upgrade(config, "head")
    spans = connection.execute(text("SELECT member_id, org_id, exempt, valid_from, valid_to FROM memberships ORDER BY member_id")).all()
    follows = connection.execute(text("SELECT exempt_receives_notices FROM members WHERE id = 2")).scalar_one()
    return [[tuple(str(v) for v in row) for row in spans], follows]


async def test_membership_history_is_backfilled(database_url, tmp_path) -> None:
    if is_sqlite(database_url):
        url = f"sqlite+aiosqlite:///{tmp_path / 'backfill.db'}"
        engine = create_engine(url)
        async with engine.begin() as connection:
            spans, follows = await connection.run_sync(_backfill_check, url)
        await engine.dispose()
    else:
        admin = create_engine(database_url)
        async with admin.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS backfill_check CASCADE"))
            await connection.execute(text("CREATE SCHEMA backfill_check"))
        engine = create_async_engine(database_url, connect_args={"server_settings": {"search_path": "backfill_check"}})
        async with engine.begin() as connection:
            spans, follows = await connection.run_sync(_backfill_check, database_url)
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text("DROP SCHEMA backfill_check CASCADE"))
        await admin.dispose()
    assert [(s[0], s[2].lower() in ("true", "1"), s[3], s[4]) for s in spans] == [
        ("1", False, "1980-05-01", "None"), ("2", True, "1980-05-01", "None"), ("3", False, "1980-05-01", "2026-11-10")]
    assert follows in (True, 1)  # exempt members follow their cell by default now


def _kept_figures_round_trip(connection, url: str) -> list:  # type: ignore[no-untyped-def]
    """The figures kept exact replace the periodic snapshot's table; down and up again leave no stale rows."""
    from sqlalchemy import inspect

    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "d4a8c2f6b1e3")
    connection.execute(text("INSERT INTO orgs (id, kind, name, path, depth, show_lunar_date, settings, created_at) "
                            "VALUES (1, 'cell', 'Chi bộ', '/1/', 0, false, '{}', '2026-12-01 00:00:00')"))
    connection.execute(text("INSERT INTO figures_refreshes (month, refreshed_at, started_at) VALUES ('2026-11-01', '2026-11-20 00:00:00', '2026-11-20 00:00:00')"))
    figures_row = ("INSERT INTO org_month_figures (month, org_id, members, exempt, linked, meetings_held, invited, present, absent_excused, "
                   "absent_unexcused, study_assigned, study_done, quiz_done, quiz_correct, quiz_questions, feedback_received, feedback_answered) "
                   "VALUES ('2026-11-01', 1, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)")
    connection.execute(text(figures_row))
    seen = []
    command.upgrade(config, "head")  # the snapshot's rows are dropped: the kept months are built anew
    seen.append((sorted(t for t in inspect(connection).get_table_names() if t.startswith("figures")),
                 connection.execute(text("SELECT count(*) FROM org_month_figures")).scalar_one()))
    connection.execute(text("INSERT INTO figures_months (month, built_at) VALUES ('2026-11-01', '2026-11-20 00:00:00')"))
    connection.execute(text(figures_row))
    command.downgrade(config, "d4a8c2f6b1e3")
    seen.append((sorted(t for t in inspect(connection).get_table_names() if t.startswith("figures")),
                 connection.execute(text("SELECT count(*) FROM org_month_figures")).scalar_one()))
    command.upgrade(config, "head")
    seen.append((sorted(t for t in inspect(connection).get_table_names() if t.startswith("figures")),
                 connection.execute(text("SELECT count(*) FROM figures_months")).scalar_one()))
    return seen


async def test_kept_figures_migrate_up_and_down(database_url, tmp_path) -> None:
    if is_sqlite(database_url):
        url = f"sqlite+aiosqlite:///{tmp_path / 'kept.db'}"
        engine = create_engine(url)
        async with engine.begin() as connection:
            seen = await connection.run_sync(_kept_figures_round_trip, url)
        await engine.dispose()
    else:
        admin = create_engine(database_url)
        async with admin.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS kept_check CASCADE"))
            await connection.execute(text("CREATE SCHEMA kept_check"))
        engine = create_async_engine(database_url, connect_args={"server_settings": {"search_path": "kept_check"}})
        async with engine.begin() as connection:
            seen = await connection.run_sync(_kept_figures_round_trip, database_url)
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text("DROP SCHEMA kept_check CASCADE"))
        await admin.dispose()
    assert seen == [(["figures_months"], 0), (["figures_refreshes"], 0), (["figures_months"], 0)]


def _directory_version_check(connection, url: str) -> list:  # type: ignore[no-untyped-def]
    """The migration's triggers change the directory version with a change to the directory (and only
    then); its downgrade leaves tables that take changes without them."""
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    postgres = connection.dialect.name == "postgresql"
    version = "SELECT version FROM directory_version WHERE id = 1"
    seen = [connection.execute(text(version)).scalar_one() > 1_700_000_000_000_000]  # at least the time in µs
    before = connection.execute(text(version)).scalar_one()
    connection.execute(text("INSERT INTO orgs (id, kind, name, path, depth, show_lunar_date, settings, created_at) "
                            "VALUES (1, 'cell', 'Chi bộ', '/1/', 0, false, '{}', '2026-12-01 00:00:00')"))
    if postgres:
        connection.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # the deferred trigger runs now, not at COMMIT
    seen.append(connection.execute(text(version)).scalar_one() > before)
    command.downgrade(config, "-1")
    connection.execute(text("UPDATE orgs SET name = 'Chi bộ 2' WHERE id = 1"))
    if postgres:
        connection.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    seen.append(connection.execute(text("SELECT name FROM orgs")).scalar_one())
    return seen


async def test_directory_version_triggers_migrate_up_and_down(database_url, tmp_path) -> None:
    if is_sqlite(database_url):
        url = f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}"
        engine = create_engine(url)
        async with engine.begin() as connection:
            seen = await connection.run_sync(_directory_version_check, url)
        await engine.dispose()
    else:
        admin = create_engine(database_url)
        async with admin.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS directory_check CASCADE"))
            await connection.execute(text("CREATE SCHEMA directory_check"))
        engine = create_async_engine(database_url, connect_args={"server_settings": {"search_path": "directory_check"}})
        async with engine.begin() as connection:
            seen = await connection.run_sync(_directory_version_check, database_url)
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text("DROP SCHEMA directory_check CASCADE"))
        await admin.dispose()
    assert seen == [True, True, "Chi bộ 2"]
