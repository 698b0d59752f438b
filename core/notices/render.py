"""How notices, progress and reports read. Pure functions: no database, no platform."""

from __future__ import annotations

import html
from collections.abc import Sequence

from core import texts
from core.notices import files
from core.notices.models import Notice, NoticeStatus
from core.ports import Attachment, Button, OutboundMessage
from core.listening.buttons import listen_button
from core.listening.models import SubjectKind

# Callback data prefixes, shared with bot/routers/notices/ (aiogram packs "prefix:field:field").
SEEN_PREFIX = "nts"
STOP_PREFIX = "ntx"
REPORT_PREFIX = "ntr"

NAMES_SHOWN = 40
EXCERPT_CHARS = 60


def seen_button(notice_id: int) -> Button:
    return Button(texts.notices.BTN_SEEN, f"{SEEN_PREFIX}:{notice_id}")


def stop_button(notice_id: int) -> Button:
    return Button(texts.notices.BTN_STOP, f"{STOP_PREFIX}:ask:{notice_id}")


def report_button(notice_id: int) -> Button:
    return Button(texts.notices.BTN_WHO_SEEN, f"{REPORT_PREFIX}:{notice_id}")


def body(*, org_name: str, text: str, author_name: str | None, urgent: bool = False) -> str:
    """What a member reads (also the preview). The author's own words are escaped."""
    template = texts.notices.NOTICE_URGENT if urgent else texts.notices.NOTICE
    content = template.format(org=html.escape(org_name), text=html.escape(text.strip())).rstrip()
    if author_name:
        content += texts.notices.NOTICE_FOOTER.format(author=html.escape(author_name))
    return content


def notice_message(notice: Notice, *, org_name: str, author_name: str | None) -> OutboundMessage:
    attachment = None
    if notice.attachment_kind is not None and notice.attachment_file_id:
        attachment = Attachment(kind=notice.attachment_kind.value, file_id=notice.attachment_file_id)
    elif notice.attachment_kind is not None and notice.attachment_path:
        attachment = Attachment(
            kind=notice.attachment_kind.value, path=notice.attachment_path, filename=notice.attachment_filename,
            cache_key=files.cache_key_of(notice.attachment_kind, notice.attachment_path),
        )
    buttons: tuple[tuple[Button, ...], ...] = ((seen_button(notice.id),),)
    if notice.text.strip():  # «🔊 Nghe»: a person's reading by language, else the machine voice (core.recordings.subjects)
        buttons += ((listen_button(SubjectKind.NOTICE, notice.id),),)
    return OutboundMessage(text=body(org_name=org_name, text=notice.text, author_name=author_name, urgent=bool(notice.urgent)),
                           buttons=buttons, attachment=attachment)


def excerpt(notice: Notice) -> str:
    text = " ".join(notice.text.split())
    if len(text) > EXCERPT_CHARS:
        text = text[: EXCERPT_CHARS - 1].rstrip() + "…"
    label = texts.notices.ATTACHMENT_LABELS.get(notice.attachment_kind.value) if notice.attachment_kind else None
    return html.escape(" ".join(part for part in (label, text) if part))


def status_message(notice: Notice, *, org_name: str, sent: int) -> OutboundMessage:
    """The author's status message, for the state the notice is in now."""
    values = {"org": html.escape(org_name), "sent": sent, "linked": notice.recipients_linked}
    if notice.status == NoticeStatus.SENDING and notice.finished_at is None:
        return OutboundMessage(
            text=texts.notices.STATUS_SENDING.format(**values),
            buttons=((stop_button(notice.id),),),
            edit_message_id=notice.status_message_id,
        )
    template = texts.notices.STATUS_CANCELLED if notice.status == NoticeStatus.CANCELLED else texts.notices.STATUS_DONE
    return OutboundMessage(text=template.format(**values), edit_message_id=notice.status_message_id)


def names(found: Sequence[str], limit: int = NAMES_SHOWN) -> str:
    shown = [f"• {html.escape(name)}" for name in found[:limit]]
    if len(found) > limit:
        shown.append(texts.notices.MORE_NAMES.format(count=len(found) - limit))
    return "\n".join(shown)
