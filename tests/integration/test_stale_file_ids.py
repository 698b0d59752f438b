"""Issue 17 item 11: after a restart every voice note and file failed with "wrong file identifier" — stored
file ids were trusted forever. Against the sandbox, which (like Telegram) refuses a file id another bot got:
a stored id from another bot is replaced by uploading the kept file again, the new id is stored, and the
member receives the message."""

from __future__ import annotations

from pathlib import Path

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, FSInputFile
import pytest
from sqlalchemy import select

from bot.dispatcher import create_bot
from bot.messenger import TelegramMessenger
from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.models import MediaFile, OutboxMessage, OutboxState
from core.delivery.outbox import enqueue
from core.delivery.worker import DeliveryWorker
from core.ports import Attachment, OutboundMessage
from tests.factories import make_commune

OLD_TOKEN = "7000000011:stale_ids_old_bot_abcdefghijklmn"  # the bot before the restart (another token)
NEW_TOKEN = "7000000012:stale_ids_new_bot_abcdefghijklmn"
MEMBER_USER = 1003  # the first plain member of the first cell (tests/factories.py)
CONTENT = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
UNLIMITED = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)


@pytest.fixture
async def sandbox():  # type: ignore[no-untyped-def]
    from sandbox.client import SandboxClient
    from sandbox.limits import Limits
    from sandbox.server import SandboxServer

    async with SandboxServer(port=0, bots={OLD_TOKEN: "old_bot", NEW_TOKEN: "new_bot"}, limits=Limits(enabled=False)) as server:
        people = SandboxClient(server.base_url, NEW_TOKEN)
        await people.create_user("Mai", user_id=MEMBER_USER)
        old_bot, new_bot = create_bot(OLD_TOKEN, server.base_url), create_bot(NEW_TOKEN, server.base_url)
        try:
            yield old_bot, new_bot, people
        finally:
            await old_bot.session.close()
            await new_bot.session.close()
            await people.aclose()


async def test_the_delivery_worker_uploads_again_when_a_stored_id_is_refused(sandbox, session, session_factory, cipher, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old_bot, new_bot, people = sandbox
    sent_before = await old_bot.send_document(MEMBER_USER, BufferedInputFile(CONTENT, filename="bien-ban.pdf"))
    stale = sent_before.document.file_id  # type: ignore[union-attr]
    kept = tmp_path / "bien-ban.pdf"
    kept.write_bytes(CONTENT)
    commune = await make_commune(session, cipher, linked=True)
    member = commune.cells[0].members[0]
    bot_key = str(new_bot.id)
    session.add(MediaFile(platform="telegram", bot_id=bot_key, cache_key="doc-key", file_id=stale, created_at=clock.now()))
    message = OutboundMessage(
        text="📎 Tài liệu họp", attachment=Attachment(kind="document", path=str(kept), filename="bien-ban.pdf", cache_key="doc-key")
    )
    await enqueue(session, member_id=member.id, kind="invitation_document", source="meeting:1", message=message, not_before=clock.now())
    await session.commit()

    worker = DeliveryWorker(session_factory, TelegramMessenger(new_bot), LocalTokenBucket(UNLIMITED), clock, bot_key=bot_key)
    stats = await worker.run_once()
    assert (stats.sent, stats.failed) == (1, 0), stats
    row = (await session.execute(select(OutboxMessage).execution_options(populate_existing=True))).scalar_one()
    assert row.state == OutboxState.SENT
    stored = (await session.execute(select(MediaFile).execution_options(populate_existing=True))).scalar_one()
    assert stored.file_id != stale  # the new bot's own id, for every later message
    chat = await people.bot_messages(MEMBER_USER)
    assert chat[-1].attachment is not None

    # The next message with that file goes by the new id, without uploading again.
    await enqueue(session, member_id=member.id, kind="invitation_document", source="meeting:2", message=message, not_before=clock.now())
    await session.commit()
    again = await worker.run_once()
    assert (again.sent, again.uploads) == (1, 0)


async def test_a_handler_sending_a_stored_id_uploads_again_or_says_so(sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bot.messenger import send_stored

    old_bot, new_bot, _ = sandbox
    stale = (await old_bot.send_document(MEMBER_USER, BufferedInputFile(CONTENT, filename="a.pdf"))).document.file_id  # type: ignore[union-attr]
    kept = tmp_path / "a.pdf"
    kept.write_bytes(CONTENT)
    sent, new_id = await send_stored(new_bot, MEMBER_USER, "document", stale, upload=FSInputFile(kept), caption="Toàn văn")
    assert new_id and new_id != stale and sent.document is not None
    # The new id works as it is: nothing uploaded.
    _, again = await send_stored(new_bot, MEMBER_USER, "document", new_id, upload=FSInputFile(kept))
    assert again is None
    # With nothing kept to upload, the refusal is raised for the caller to handle.
    with pytest.raises(TelegramBadRequest):
        await send_stored(new_bot, MEMBER_USER, "document", stale)


async def test_a_voice_note_kept_only_on_telegram_goes_as_text_when_its_id_is_refused(sandbox) -> None:  # type: ignore[no-untyped-def]
    """A member's voice reason or feedback is kept on Telegram only (by id): with nothing to upload again, the
    card still arrives — its text, a short note, and its buttons."""
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

    from bot.messenger import send_received

    old_bot, new_bot, people = sandbox
    stale = (await old_bot.send_document(MEMBER_USER, BufferedInputFile(CONTENT, filename="a.pdf"))).document.file_id  # type: ignore[union-attr]
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="✅ Đồng ý", callback_data="mta:ok:1:1")]])
    sent = await send_received(new_bot, MEMBER_USER, "document", stale, caption="Đơn xin vắng", reply_markup=markup)
    assert sent.text is not None and sent.text.startswith("Đơn xin vắng") and "không còn mở được" in sent.text
    last = (await people.bot_messages(MEMBER_USER))[-1]
    assert last.buttons == [("✅ Đồng ý", "mta:ok:1:1")] and "không còn mở được" in last.text
