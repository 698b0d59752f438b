"""A person's voice before the synthetic one (issue #19's "Must show"), over real HTTP: the
`sotay run` process against the sandbox.

Two members choose their listening language in 👤 Hồ sơ (Hmông; Thái). The secretary of cell A
publishes a resolution: with no recording anywhere, every listener gets the synthetic voice,
labelled as such. The secretary then records the summary by voice in Vietnamese: every listener
gets that recording (the Hmông and Thái members too, neither language being recorded yet); then in
Hmông: only the Hmông member gets it. An ordinary member the secretary names as reader records it
in Thái: only the Thái member gets it, and hears it again from the library. The notes members
download are the very bytes that were recorded.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from core import texts
from core.orgs.models import Member
from core.listening.models import Recording
from sandbox.client import ChatMessage
from tests.factories import make_commune
from voice.engines import EspeakSpeaker
from voice.opus import encode_voice

pytestmark = pytest.mark.e2e
R, V = texts.resolutions, texts.recordings

SECRETARY, DEPUTY, HMONG, THAI, PLAIN = 1001, 1002, 1003, 1004, 1005
COMMITTEE = 5001
OUTSIDER = 2003  # cell B: the document goes to cell A only
EVERYONE = (SECRETARY, DEPUTY, HMONG, THAI, PLAIN, 1006, COMMITTEE, OUTSIDER)
FULL_TEXT = (
    "Nghị quyết về tăng cường củng cố, xây dựng tổ chức cơ sở đảng và nâng cao chất lượng đội ngũ đảng viên.\n\n"
    "Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ. Đổi mới nội dung, phương thức "
    "sinh hoạt chi bộ, bảo đảm sinh hoạt định kỳ hằng tháng.\n\n"
    "Mỗi đảng viên nghiên cứu, học tập nghị quyết và gương mẫu thực hiện ở nơi cư trú."
)


def has(label: str):  # type: ignore[no-untyped-def]
    return lambda m: any(label in text for text, _ in m.buttons)


async def press(people, user: int, message: ChatMessage, label: str) -> dict:  # type: ignore[no-untyped-def]
    return await people.press(user, message.message_id, message.button(label))


async def until(fetch, done, timeout: float = 10):  # type: ignore[no-untyped-def]
    """Database state read again until `done(state)` (a reply is sent before its transaction commits)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        state = await fetch()
        if done(state) or asyncio.get_running_loop().time() > deadline:
            return state
        await asyncio.sleep(0.05)


async def spoken_ogg(text: str, voice: str) -> bytes:
    """A real voice message (OGG/Opus), as a phone records it; espeak stands in for the person."""
    pcm = await EspeakSpeaker().synthesize(text, voice=voice, speed="normal")
    return encode_voice(pcm).data


def voice_with(caption_part: str):  # type: ignore[no-untyped-def]
    return lambda m: m.attachment is not None and m.attachment.get("kind") == "voice" and caption_part in m.text


async def choose_language(people, user: int, language: str) -> None:  # type: ignore[no-untyped-def]
    await people.send_text(user, texts.account.BTN_PROFILE)
    profile = await people.wait_for_message(user, has(R.BTN_VOICE_SETTINGS))
    await press(people, user, profile, R.BTN_VOICE_SETTINGS)
    settings = await people.wait_for_message(user, has("Ngôn ngữ nghe"))
    await press(people, user, settings, "Ngôn ngữ nghe")
    choices = await people.wait_for_message(user, has(language))
    await press(people, user, choices, language)
    await people.wait_for_message(user, lambda m: f"Đồng chí đang nghe: <b>{language}</b>" in m.text
                                  or f"Đồng chí đang nghe: {language}" in m.text)


@pytest.mark.parametrize("app", ["polling"], indirect=True)
async def test_a_recording_by_voice_reaches_listeners_in_their_language(app, people, e2e_sessions, e2e_cipher) -> None:
    async with e2e_sessions() as session:
        await make_commune(session, e2e_cipher, linked=True)
        await session.commit()
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in EVERYONE])

    # Members choose the language they listen in (👤 Hồ sơ → 🔊 Giọng đọc → 🌐 Ngôn ngữ nghe).
    await asyncio.gather(choose_language(people, HMONG, "Tiếng Hmông"), choose_language(people, THAI, "Tiếng Thái"))

    # 1. The secretary publishes a resolution to the cell: nobody has recorded it yet.
    await people.send_text(SECRETARY, texts.account.BTN_RESOLUTIONS)
    library = await people.wait_for_message(SECRETARY, has("Đăng văn bản"))
    await press(people, SECRETARY, library, "Đăng văn bản")
    kinds = await people.wait_for_message(SECRETARY, lambda m: "bước 1/6" in m.text)
    await press(people, SECRETARY, kinds, R.KINDS["NQ"])
    await people.wait_for_message(SECRETARY, lambda m: "Bước 2/6" in m.text)
    await people.send_text(SECRETARY, "05-NQ/CB")
    dated = await people.wait_for_message(SECRETARY, lambda m: "Bước 3/6" in m.text)
    await press(people, SECRETARY, dated, "Hôm nay")
    await people.wait_for_message(SECRETARY, lambda m: "Bước 4/6" in m.text)
    await people.send_text(SECRETARY, "Về củng cố tổ chức cơ sở đảng")
    await people.wait_for_message(SECRETARY, lambda m: "Bước 5/6" in m.text)
    await people.send_text(SECRETARY, FULL_TEXT)
    pasted = await people.wait_for_message(SECRETARY, lambda m: "Đã nhận" in m.text and has("Xong")(m))
    await press(people, SECRETARY, pasted, "Xong")
    summary = await people.wait_for_message(SECRETARY, lambda m: "Bước 6/6" in m.text)
    await press(people, SECRETARY, summary, "Dùng bản này")
    preview = await people.wait_for_message(SECRETARY, lambda m: "Xem lại trước khi gửi" in m.text)
    await press(people, SECRETARY, preview, "Gửi văn bản")
    done = await people.wait_for_message(SECRETARY, lambda m: "Đã gửi văn bản" in m.text, timeout=60)
    assert has(V.BTN_RECORD)(done)

    # With no recording anywhere, listeners get the synthetic voice, labelled as such.
    for user in (DEPUTY, HMONG, THAI):
        synthetic = await people.wait_for_message(user, voice_with("Giọng đọc máy"), timeout=60)
        assert "05-NQ/CB" in synthetic.text
    assert not await people.bot_messages(OUTSIDER)

    # 2. The secretary records the summary by voice, in Vietnamese.
    await press(people, SECRETARY, done, V.BTN_RECORD)
    languages = await people.wait_for_message(SECRETARY, has("Tiếng Hmông"))
    assert [label for label, _ in languages.buttons][:3] == ["Tiếng Việt", "Tiếng Hmông", "Tiếng Thái"]
    await press(people, SECRETARY, languages, "Tiếng Việt")
    await people.wait_for_message(SECRETARY, lambda m: "đọc bản tóm tắt dưới đây bằng <b>Tiếng Việt</b>" in m.text
                                  or "đọc bản tóm tắt dưới đây bằng Tiếng Việt" in m.text)
    vietnamese = await spoken_ogg("Tóm tắt nghị quyết của chi bộ. Phấn đấu đến năm 2030.", "vi")
    await people.send_voice(SECRETARY, vietnamese)
    saved = await people.wait_for_message(SECRETARY, lambda m: "Đã lưu bản ghi âm" in m.text, timeout=30)
    listeners = 6  # cell A and the committee member in it, the publisher excepted
    assert f"gửi tới {listeners} đảng viên" in saved.text

    # Every listener gets the recording — the Hmông and Thái members too: their languages have none yet.
    for user in (DEPUTY, HMONG, THAI, PLAIN, COMMITTEE):
        recorded = await people.wait_for_message(user, voice_with("bản ghi âm tiếng việt"), timeout=60)
        assert await people.download(recorded) == vietnamese  # the secretary's own voice, not a synthesis

    # 3. Now in Hmông: only the Hmông member gets it.
    await press(people, SECRETARY, done, V.BTN_RECORD)
    languages = await people.wait_for_message(SECRETARY, lambda m: has("✅ Tiếng Việt")(m), after_message_id=saved.message_id)
    await press(people, SECRETARY, languages, "Tiếng Hmông")
    hmong = await spoken_ogg("Bản tóm tắt đọc bằng tiếng Hmông.", "vi-vn-x-south")
    await people.wait_for_message(SECRETARY, lambda m: "Hmông" in m.text and "micro" in m.text, after_message_id=saved.message_id)
    await people.send_voice(SECRETARY, hmong)
    saved_hmong = await people.wait_for_message(SECRETARY, lambda m: "Đã lưu bản ghi âm Tiếng Hmông" in m.text, timeout=30)
    assert "gửi tới 1 đảng viên" in saved_hmong.text
    recorded = await people.wait_for_message(HMONG, voice_with("bản ghi âm tiếng hmông"), timeout=60)
    assert await people.download(recorded) == hmong

    async def voices_of(user: int) -> list[str]:
        return [m.text for m in await people.bot_messages(user) if m.attachment and m.attachment.get("kind") == "voice"]

    await asyncio.sleep(2)  # the worker has sent the Hmông note; nothing else is on its way
    assert not any("hmông" in caption for caption in await voices_of(THAI))  # Thái: still the Vietnamese recording
    assert not any("hmông" in caption for caption in await voices_of(DEPUTY))

    # 4. The secretary asks an ordinary member to read it in Thái; he records; the Thái member gets it.
    await press(people, SECRETARY, done, V.BTN_RECORD)
    languages = await people.wait_for_message(SECRETARY, has(V.BTN_NAME_READER), after_message_id=saved_hmong.message_id)
    await press(people, SECRETARY, languages, V.BTN_NAME_READER)
    readers = await people.wait_for_message(SECRETARY, lambda m: "nhờ ai đọc" in m.text, after_message_id=saved_hmong.message_id)
    await press(people, SECRETARY, readers, "Đảng viên 3")  # PLAIN: no function in the cell
    await people.wait_for_message(SECRETARY, lambda m: "Đã nhờ đồng chí Đảng viên 3" in m.text, after_message_id=saved_hmong.message_id)
    asked = await people.wait_for_message(PLAIN, lambda m: "nhờ đồng chí đọc bản tóm tắt" in m.text, timeout=30)
    await press(people, PLAIN, asked, V.BTN_RECORD)
    languages = await people.wait_for_message(PLAIN, has("Tiếng Thái"), after_message_id=asked.message_id)
    await press(people, PLAIN, languages, "Tiếng Thái")
    await people.wait_for_message(PLAIN, lambda m: "micro" in m.text and "Thái" in m.text, after_message_id=asked.message_id)
    thai = await spoken_ogg("Bản tóm tắt đọc bằng tiếng Thái.", "vi-vn-x-central")
    await people.send_voice(PLAIN, thai)
    await people.wait_for_message(PLAIN, lambda m: "Đã lưu bản ghi âm Tiếng Thái" in m.text and "gửi tới 1 đảng viên" in m.text, timeout=30)
    recorded = await people.wait_for_message(THAI, voice_with("bản ghi âm tiếng thái"), timeout=60)
    assert await people.download(recorded) == thai

    # «🔊 Nghe tóm tắt» in the library plays a person's recording too: the Thái one for the Thái member.
    before = (await people.bot_messages(THAI))[-1].message_id
    await people.send_text(THAI, texts.account.BTN_RESOLUTIONS)
    library = await people.wait_for_message(THAI, has("05-NQ/CB"), after_message_id=before)
    await press(people, THAI, library, "05-NQ/CB")
    screen = await people.wait_for_message(THAI, lambda m: m.message_id == library.message_id and has(R.BTN_LISTEN)(m))
    await press(people, THAI, screen, R.BTN_LISTEN)
    heard = await people.wait_for_message(THAI, voice_with("bản ghi âm tiếng thái"), after_message_id=before, timeout=30)
    assert await people.download(heard) == thai

    async def stored():  # type: ignore[no-untyped-def]
        async with e2e_sessions() as session:
            return (await session.execute(select(Recording.language, Recording.duration).order_by(Recording.language))).all()

    rows = await until(stored, lambda rows: len(rows) == 3)
    assert [language for language, _ in rows] == ["hmong", "thai", "vi"] and all(seconds >= 1 for _, seconds in rows)
    async with e2e_sessions() as session:
        chosen = dict((await session.execute(select(Member.full_name, Member.listen_language))).all())
    assert sorted(chosen.values()).count("hmong") == 1 and sorted(chosen.values()).count("thai") == 1
