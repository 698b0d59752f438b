"""The raw database — the SQLite file's bytes or PostgreSQL's rows — never holds a citizen ID or phone in clear."""

from pathlib import Path

from sqlalchemy import text

from core.orgs.importer import import_members
from core.db import is_sqlite

FIXTURE = Path(__file__).parent.parent / "fixtures" / "commune.csv"
SECRETS = ["001068000146", "001185000222", "0912345602", "0987654321", "0355123456", "912345602", "987654321"]


async def test_no_plaintext_identifiers_in_storage(session, session_factory, cipher, engine, database_url) -> None:
    import datetime as dt

    report = await import_members(session, FIXTURE, cipher=cipher, today=dt.date(2026, 11, 23))
    assert report.ok
    await session.commit()
    if is_sqlite(database_url):
        await engine.dispose()  # checkpoint the WAL so every byte is in the files we read
        db_file = Path(database_url.split("///", 1)[1])
        raw = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
        assert b"Gi\xc3\xa0ng A P\xc3\xa1o" in raw  # the read really sees row data
        for secret in SECRETS:
            assert secret.encode() not in raw
    else:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT * FROM members"))).all()
        dump = "\n".join(repr(tuple(row)) for row in rows)
        assert "Giàng A Páo" in dump
        for secret in SECRETS:
            assert secret not in dump
            assert secret.encode().hex() not in dump
