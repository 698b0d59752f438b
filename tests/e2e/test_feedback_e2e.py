"""Feedback over real HTTP: a member says it aloud, the secretary answers aloud, the member hears back."""

import re

import pytest

from core import texts
from tests.factories import make_commune

pytestmark = pytest.mark.e2e
VOICE = b"OggS" + bytes(range(256)) * 8


async def test_voice_feedback_and_voice_reply(app, people, e2e_sessions, e2e_cipher) -> None:
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=True)
        await session.commit()
    cell = commune.cells[0]
    secretary_id, member_id = 1001, 1003
    await people.create_users([{"id": uid, "first_name": name} for uid, name in ((1001, "Bí thư"), (1002, "Phó"), (1003, "Mai"))])

    # The member: ✍️ Góp ý → new → Phản ánh → to my cell → a voice message.
    await people.send_text(member_id, texts.account.BTN_FEEDBACK)
    menu = await people.wait_for_message(member_id, lambda m: "Góp ý, phản ánh" in m.text)
    await people.press(member_id, menu.message_id, menu.button("Gửi ý kiến mới"))
    kinds = await people.wait_for_message(member_id, lambda m: any("Phản ánh" in t for t, _ in m.buttons))
    await people.press(member_id, kinds.message_id, kinds.button("Phản ánh"))
    recipients = await people.wait_for_message(member_id, lambda m: "tới đâu" in m.text)
    await people.press(member_id, recipients.message_id, recipients.button(cell.org.name))
    await people.wait_for_message(member_id, lambda m: "gõ nội dung" in m.text)
    await people.send_voice(member_id, VOICE, duration=4)
    sent = await people.wait_for_message(member_id, lambda m: "Số hiệu" in m.text)
    reference = re.search(r"Số hiệu: (\S+)", sent.text).group(1)
    assert reference.startswith("PA-")

    # The secretary is told through the outbox and delivery worker, with the voice attached.
    notice = await people.wait_for_message(secretary_id, lambda m: any("Mở ý kiến" in t for t, _ in m.buttons), timeout=20)
    await people.press(secretary_id, notice.message_id, notice.button("Mở ý kiến"))
    card = await people.wait_for_message(secretary_id, lambda m: reference in m.text and any("Trả lời" in t for t, _ in m.buttons))
    await people.press(secretary_id, card.message_id, card.button("Trả lời"))
    await people.wait_for_message(secretary_id, lambda m: "trả lời" in m.text.lower() and m.message_id > card.message_id)
    await people.send_voice(secretary_id, VOICE[::-1], duration=6)
    await people.wait_for_message(secretary_id, lambda m: "Đã gửi trả lời" in m.text)

    # The member receives the reply with its reference, and the voice.
    reply = await people.wait_for_message(member_id, lambda m: reference in m.text and m.message_id > sent.message_id, timeout=20)
    voices = [m for m in await people.bot_messages(member_id) if m.attachment and m.attachment["kind"] == "voice"]
    assert voices and await people.download(voices[-1].attachment) == VOICE[::-1]
    assert reply.text
