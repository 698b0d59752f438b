"""Walking the bot's screens as a person does, shared by the end-to-end tests: find a button,
press it, read the database until a state shows, publish a resolution through its six steps."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from core import texts
from sandbox.client import ChatMessage


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


@dataclass(frozen=True)
class Published:
    summary: ChatMessage  # step 6/6: the summary offered
    preview: ChatMessage  # «Xem lại trước khi gửi»
    done: ChatMessage  # «Đã gửi văn bản»


async def publish_resolution(  # type: ignore[no-untyped-def]
    people, user: int, *, code: str, title: str, full_text: str, target: str | None = None, timeout: float = 60
) -> Published:
    """📜 Nghị quyết → ➕ Đăng văn bản → the six steps (kind NQ, code, issued today, title, pasted
    text, the summary offered) → the reach (`target`'s button, when the publisher manages several
    organisations) → «Gửi văn bản»."""
    await people.send_text(user, texts.account.BTN_RESOLUTIONS)
    library = await people.wait_for_message(user, has("Đăng văn bản"))
    await press(people, user, library, "Đăng văn bản")
    kinds = await people.wait_for_message(user, lambda m: "bước 1/6" in m.text)
    await press(people, user, kinds, texts.resolutions.KINDS["NQ"])
    await people.wait_for_message(user, lambda m: "Bước 2/6" in m.text)
    await people.send_text(user, code)
    dated = await people.wait_for_message(user, lambda m: "Bước 3/6" in m.text)
    await press(people, user, dated, "Hôm nay")
    await people.wait_for_message(user, lambda m: "Bước 4/6" in m.text)
    await people.send_text(user, title)
    await people.wait_for_message(user, lambda m: "Bước 5/6" in m.text)
    await people.send_text(user, full_text)
    pasted = await people.wait_for_message(user, lambda m: "Đã nhận" in m.text and has("Xong")(m))
    await press(people, user, pasted, "Xong")
    summary = await people.wait_for_message(user, lambda m: "Bước 6/6" in m.text)
    await press(people, user, summary, "Dùng bản này")
    if target is not None:
        reach = await people.wait_for_message(user, has(target))
        await press(people, user, reach, target)
    preview = await people.wait_for_message(user, lambda m: "Xem lại trước khi gửi" in m.text)
    await press(people, user, preview, "Gửi văn bản")
    done = await people.wait_for_message(user, lambda m: "Đã gửi văn bản" in m.text, timeout=timeout)
    return Published(summary=summary, preview=preview, done=done)
