"""What core needs from the outside world, as typed protocols.

A messenger's one required ability is sending text; richer messages (buttons, voice, files)
degrade to text on a channel that cannot show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Attachment:
    kind: Literal["voice", "document", "photo", "audio"]
    # Exactly one of: a platform file id already uploaded, or a local file / bytes to upload.
    file_id: str | None = None
    path: str | None = None
    data: bytes | None = None
    filename: str | None = None
    duration: int | None = None
    # Key used to remember the platform's file id after the first upload (e.g. audio content hash).
    cache_key: str | None = None


@dataclass(frozen=True)
class OutboundMessage:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    parse_mode: str | None = "HTML"
    # When set, edit this earlier message instead of sending a new one.
    edit_message_id: str | None = None
    # Set by the delivery worker, never stored in the payload: send as a paid broadcast (Telegram's
    # `allow_paid_broadcast`, up to 1,000 messages a second for a fee in Stars). Other platforms ignore it.
    paid_broadcast: bool = False

    def to_payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [[{"text": b.text, "callback_data": b.callback_data, "url": b.url} for b in row] for row in self.buttons],
            "attachment": None if self.attachment is None else {
                k: v for k, v in self.attachment.__dict__.items() if k != "data" and v is not None
            },
            "parse_mode": self.parse_mode,
            "edit_message_id": self.edit_message_id,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OutboundMessage:
        attachment = payload.get("attachment")
        return cls(
            text=payload.get("text", ""),
            buttons=tuple(tuple(Button(**b) for b in row) for row in payload.get("buttons") or []),
            attachment=Attachment(**attachment) if attachment else None,
            parse_mode=payload.get("parse_mode", "HTML"),
            edit_message_id=payload.get("edit_message_id"),
        )


@dataclass(frozen=True)
class SendReceipt:
    message_id: str
    file_id: str | None = None
    # The message's stored file id was rejected by the platform and the file uploaded again: `file_id` replaces it.
    reuploaded: bool = False


class SendError(Exception):
    """Base of what a Messenger may raise; the delivery worker decides what to do from the type."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimitedError(SendError):
    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TemporaryError(SendError):
    """Network trouble or a 5xx: try again later."""


class RecipientUnreachable(SendError):
    """The person blocked the bot or the account is gone (403)."""


class PermanentError(SendError):
    """The platform refused this message as such (400): retrying cannot help."""


class Messenger(Protocol):
    platform: str

    async def send(self, chat_id: str, message: OutboundMessage) -> SendReceipt: ...


@dataclass
class CollectingMessenger:
    """The test fake: records what would have been sent, and can be told to fail."""

    platform: str = "telegram"
    sent: list[tuple[str, OutboundMessage]] = field(default_factory=list)
    failures: dict[str, SendError] = field(default_factory=dict)
    _next_id: int = 1

    async def send(self, chat_id: str, message: OutboundMessage) -> SendReceipt:
        if chat_id in self.failures:
            raise self.failures[chat_id]
        self.sent.append((chat_id, message))
        self._next_id += 1
        file_id = f"file-{message.attachment.cache_key}" if message.attachment and message.attachment.cache_key else None
        return SendReceipt(message_id=str(self._next_id), file_id=file_id)
