"""`sotay keys rotate` (#18 item 11): citizen IDs and phones re-encrypted under a new key, the old key
readable meanwhile, resumable, safe beside a running bot, audited. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Update, select

from core.crypto import DecryptionError, FieldCipher
from core.orgs import linking
from core.orgs.key_rotation import LEGACY, key_usage, rotate_batch, rotate_keys
from core.audit import AuditEvent
from core.orgs.models import Member
from core.orgs.service import CITIZEN_ID, PHONE, citizen_id_of, encrypt_personal, phone_of
from tests.conftest import TEST_SECRET_KEY
from tests.factories import make_cell
from tests.unit.test_crypto_and_phones import _legacy_blob

NEW_KEY = "the-new-key-" + "x" * 40
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)


async def _world(session, cipher: FieldCipher, *, members: int = 7) -> dict[int, tuple[str, str | None]]:
    """Members under the old key (one without a phone, one written before key ids existed);
    returns id → (citizen ID, phone) as stored."""
    from core.orgs.models import OrgKind
    from core.orgs.service import create_org

    commune = await create_org(session, name="Xã Rotation", kind=OrgKind.COMMITTEE, parent=None)
    cell = await make_cell(session, cipher, commune, "Chi bộ Rotation", size=members - 2)
    cell.members[0].phone_encrypted = cell.members[0].phone_hash = None
    legacy = cell.members[1]
    legacy.citizen_id_encrypted = _legacy_blob(TEST_SECRET_KEY, citizen_id_of(legacy, cipher), CITIZEN_ID)
    legacy.phone_encrypted = _legacy_blob(TEST_SECRET_KEY, phone_of(legacy, cipher) or "", PHONE)
    await session.commit()
    everyone = (await session.execute(select(Member))).scalars().all()
    return {m.id: (citizen_id_of(m, cipher), phone_of(m, cipher)) for m in everyone}


async def _stored(session_factory) -> list[Member]:
    async with session_factory() as fresh:
        return list((await fresh.execute(select(Member).order_by(Member.id))).scalars())


async def test_rotation_re_encrypts_everything_and_recomputes_hashes(session, session_factory, cipher) -> None:
    plain = await _world(session, cipher)
    rotating = FieldCipher(NEW_KEY, old_keys=[TEST_SECRET_KEY])
    async with session_factory() as s:
        before = await key_usage(s, rotating)
    assert before == {cipher.key_id: 2 * len(plain) - 3, LEGACY: 2}

    report = await rotate_keys(session_factory, rotating, batch=3)
    assert report.complete and report.rotated == len(plain) and report.scanned == len(plain) and report.passes == 1

    new_only = FieldCipher(NEW_KEY)  # the old key can go now
    for member in await _stored(session_factory):
        assert citizen_id_of(member, new_only) == plain[member.id][0]
        assert phone_of(member, new_only) == plain[member.id][1]
        assert member.citizen_id_hash == new_only.lookup_hash(plain[member.id][0], context=CITIZEN_ID)
        expected_phone_hash = new_only.lookup_hash(plain[member.id][1], context=PHONE) if plain[member.id][1] else None
        assert member.phone_hash == expected_phone_hash
        with pytest.raises(DecryptionError):
            citizen_id_of(member, cipher)
    async with session_factory() as s:
        assert await key_usage(s, rotating) == {rotating.key_id: 2 * len(plain) - 1}
        events = (await s.execute(select(AuditEvent).where(AuditEvent.action == "keys.rotate").order_by(AuditEvent.id))).scalars().all()
    assert [e.outcome for e in events] == ["started", "ok"]
    assert events[-1].target == rotating.key_id and events[-1].detail["rotated"] == len(plain)
    assert not any(v[0] in str(e.detail) for e in events for v in plain.values())  # counts and ids, never values

    again = await rotate_keys(session_factory, rotating)
    assert again.complete and again.rotated == 0  # nothing left: a second run writes nothing


async def test_an_interrupted_rotation_resumes_where_it_is_needed(session, session_factory, cipher) -> None:
    plain = await _world(session, cipher, members=9)
    rotating = FieldCipher(NEW_KEY, old_keys=[TEST_SECRET_KEY])
    async with session_factory() as s:  # one batch done and committed, then the process died
        first = await rotate_batch(s, rotating, after_id=0, limit=4)
        await s.commit()
    assert first.rotated == 4
    async with session_factory() as s:  # and a batch whose transaction never committed
        await rotate_batch(s, rotating, after_id=first.last_id or 0, limit=3)
        await s.rollback()

    report = await rotate_keys(session_factory, rotating)
    assert report.complete and report.rotated == len(plain) - 4
    async with session_factory() as s:
        assert set(await key_usage(s, rotating)) == {rotating.key_id}


async def test_the_running_bot_finds_and_writes_members_during_a_rotation(session, session_factory, cipher) -> None:
    """Processes restarted with the new key (and the old one readable) link by phone whatever key a
    row is under, and an edit made between the rotation's read and its write is never overwritten."""
    plain = await _world(session, cipher)
    rotating = FieldCipher(NEW_KEY, old_keys=[TEST_SECRET_KEY])
    target_id = max(plain)
    phone = plain[target_id][1]
    assert phone
    async with session_factory() as s:  # still under the old key: found by its old hash
        result = await linking.link_by_contact(s, cipher=rotating, phone=phone, contact_user_id="777", platform="telegram",
                                               platform_user_id="777", chat_id="777", now=NOW)
        assert result.member.id == target_id
        await s.rollback()

    async def edit_elsewhere() -> None:
        # An API process not restarted yet (old key only) changes the phone.
        async with session_factory() as other:
            member = await other.get(Member, target_id)
            encrypt_personal(member, cipher, citizen_id=plain[target_id][0], phone="0988777666")
            await other.commit()

    async with session_factory() as s:
        real_execute = s.execute
        edits: list[bool] = []

        async def execute_after_an_edit(statement, *args, **kwargs):  # type: ignore[no-untyped-def]
            if isinstance(statement, Update) and not edits:  # between the rotation's read and its write
                edits.append(True)
                await edit_elsewhere()
            return await real_execute(statement, *args, **kwargs)

        s.execute = execute_after_an_edit  # type: ignore[method-assign]
        batch = await rotate_batch(s, rotating, after_id=target_id - 1, limit=10)
        await s.commit()
    assert edits and batch.rotated == 0 and batch.changed_meanwhile == 1
    member = (await _stored(session_factory))[-1]
    assert phone_of(member, cipher) == "0988777666"  # the edit stands, still under the old key

    report = await rotate_keys(session_factory, rotating)  # the next run takes it
    assert report.complete and report.rotated == len(plain)
    member = (await _stored(session_factory))[-1]
    assert phone_of(member, FieldCipher(NEW_KEY)) == "0988777666"
    assert member.phone_hash == FieldCipher(NEW_KEY).lookup_hash("0988777666", context=PHONE)


async def test_a_row_no_key_opens_is_reported_and_the_rest_rotated(session, session_factory, cipher) -> None:
    plain = await _world(session, cipher)
    stray = await session.get(Member, min(plain))
    stray.citizen_id_encrypted = FieldCipher("an-unknown-key-" + "u" * 30).encrypt("001099999999", context=CITIZEN_ID)
    await session.commit()
    report = await rotate_keys(session_factory, FieldCipher(NEW_KEY, old_keys=[TEST_SECRET_KEY]))
    assert report.unreadable == [stray.id] and not report.complete and report.rotated == len(plain) - 1
    async with session_factory() as s:
        last = (await s.execute(select(AuditEvent).where(AuditEvent.action == "keys.rotate").order_by(AuditEvent.id.desc()))).scalars().first()
    assert last.outcome == "incomplete" and last.detail["unreadable_ids"] == [stray.id]


def test_cli_rotates_and_reports(tmp_path, monkeypatch) -> None:
    """The operator's path on SQLite: import under the old key, rotate, status, then run without it."""
    from pathlib import Path

    from typer.testing import CliRunner

    from sotay.cli import app

    for name in ("SOTAY_DATABASE_URL", "SOTAY_TELEGRAM_TOKEN", "SOTAY_REDIS_URL", "SOTAY_OLD_SECRET_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    fixture = Path(__file__).parent.parent / "fixtures" / "commune.csv"
    old_env = {"SOTAY_DATA_DIR": str(tmp_path / "data"), "SOTAY_SECRET_KEY": TEST_SECRET_KEY, "SOTAY_BOT_USERNAME": "sotay_bot"}
    runner = CliRunner()
    assert runner.invoke(app, ["members", "import", str(fixture)], env=old_env).exit_code == 0
    rotating_env = {**old_env, "SOTAY_SECRET_KEY": NEW_KEY, "SOTAY_OLD_SECRET_KEYS": TEST_SECRET_KEY}
    status = runner.invoke(app, ["keys", "status"], env=rotating_env)
    assert "16 value(s) still to rotate" in status.output, status.output
    rotated = runner.invoke(app, ["keys", "rotate", "--batch", "3"], env=rotating_env)
    assert rotated.exit_code == 0, rotated.output
    assert "8 member(s) re-encrypted, 8 looked at in 1 pass(es)" in rotated.output
    assert "every value is under the primary key" in runner.invoke(app, ["keys", "status"], env=rotating_env).output
    # Without the old key the same file is unchanged (hashes are under the new key).
    again = runner.invoke(app, ["members", "import", str(fixture)], env={**old_env, "SOTAY_SECRET_KEY": NEW_KEY})
    assert "created 0, updated 0, unchanged 8" in again.output, again.output
    refused = runner.invoke(app, ["keys", "rotate"], env={**rotating_env, "SOTAY_OLD_SECRET_KEYS": "short"})
    assert refused.exit_code == 2 and "SOTAY_OLD_SECRET_KEYS" in refused.output
