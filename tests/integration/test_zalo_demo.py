"""`sotay demo` shows Zalo phones beside the Telegram ones: a few demo members on Zalo, and the
unlinked member's Zalo, where the invite code is typed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.orgs.models import ChannelLink
from sotay import demo_data


async def test_demo_members_on_zalo_are_linked_and_have_written_to_the_bot(tmp_path: Path) -> None:
    from core.db import create_engine, create_session_factory
    from sandbox.server import SandboxServer
    from sotay.demo import DEMO_BOT, DEMO_TOKEN, DEMO_ZALO_TOKEN, ZALO_CARDS, demo_settings, seed_demo, zalo_id_of
    from sotay.settings import Settings
    from tests.conftest import TEST_SECRET_KEY

    settings = demo_settings(Settings(demo=True, secret_key=TEST_SECRET_KEY, data_dir=tmp_path / "data"), port=0, sandbox_url="http://127.0.0.1:9")
    assert settings.zalo_token is not None and settings.zalo_api_base == "http://127.0.0.1:9/zalo"
    sandbox = SandboxServer(bots={DEMO_TOKEN: DEMO_BOT}, zalo_bots={DEMO_ZALO_TOKEN: "Sổ tay"})  # not listening
    code = await seed_demo(settings, sandbox)
    on_zalo = [p for p in demo_data.PEOPLE if p.card in ZALO_CARDS]
    unlinked = next(p for p in demo_data.PEOPLE if not p.linked)
    people = sandbox.zalo.world.people
    assert {zalo_id_of(p) for p in on_zalo} | {zalo_id_of(unlinked)} == set(people)
    assert code is not None and code in (people[zalo_id_of(unlinked)].label or "")
    assert people[zalo_id_of(on_zalo[0])].telegram_id == demo_data.user_id_of(on_zalo[0])
    queued = sandbox.zalo.world.bot(DEMO_ZALO_TOKEN)
    assert len(queued.updates.all()) == len(on_zalo)  # each Zalo member wrote first, as Zalo requires
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_session_factory(engine)() as session:
            links = (await session.execute(select(ChannelLink.platform_user_id).where(ChannelLink.platform == "zalo"))).scalars().all()
        assert sorted(links) == sorted(zalo_id_of(p) for p in on_zalo)
    finally:
        await engine.dispose()
