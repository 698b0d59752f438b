"""The Messenger port over Zalo, for the delivery worker (platform "zalo"): core's screens rendered
as numbered text, remembered so typed numbers answer them; voice and files as signed links."""

from __future__ import annotations

from bot.zalo.choices import numbered
from bot.zalo.courier import ZaloCourier
from core import texts
from core.ports import OutboundMessage, SendReceipt


class ZaloMessenger:
    platform = "zalo"
    uploads_files = False  # voice and files go as links: the worker keeps no Zalo file ids

    def __init__(self, courier: ZaloCourier, *, bot_key: str = "") -> None:
        self.courier = courier
        self.bot_key = bot_key  # the delivery worker's key for this bot's budget and file ids

    async def send(self, chat_id: str, message: OutboundMessage) -> SendReceipt:
        if message.edit_message_id:
            # Zalo cannot edit. An edit through the outbox is a notice's running status line: as new
            # messages every few seconds it would flood the author's chat; the final report follows
            # as a message of its own.
            return SendReceipt(message_id=message.edit_message_id)
        choices = numbered([("callback", b.callback_data, b.text) for row in message.buttons for b in row if b.callback_data])
        links = [(b.text, b.url) for row in message.buttons for b in row if b.url and not b.callback_data]
        is_html = (message.parse_mode or "").upper() == "HTML"
        text = message.text
        attachment = message.attachment
        if attachment is not None:
            url = await self._publish(message)
            if url is not None:
                line = (texts.conversation.LISTEN if attachment.kind in ("voice", "audio")
                        else texts.conversation.SEE_PHOTO if attachment.kind == "photo" else texts.conversation.DOWNLOAD)
                text = f"{text}\n\n{line.format(url=url)}" if text else line.format(url=url)
        sent = await self.courier.send_screen(chat_id, text, choices=choices, links=links, is_html=is_html)
        return SendReceipt(message_id=str(sent.screen_id))

    async def _publish(self, message: OutboundMessage) -> str | None:
        attachment = message.attachment
        assert attachment is not None
        if self.courier.media is None or (attachment.path is None and attachment.data is None):
            return None  # a Telegram file id only: nothing Zalo can show
        return await self.courier.media.publish(kind=attachment.kind, path=attachment.path, data=attachment.data,
                                                filename=attachment.filename, text=None)
