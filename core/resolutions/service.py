"""Documents: drafting, publishing through the outbox (with voice notes), the library, bookmarks,
«Tôi đã nghiên cứu», and members' voice preferences.

Publishing is two steps so that speech synthesis never runs inside a database transaction that
writes: `voice_variants()` says which (voice, speed) renderings the recipients need, the caller
renders them (`core.resolutions.voice.render_variants`, cached on disk, one synthesis per
(text, voice, speed)), then `publish()` writes the document's state and every outbox row in one
transaction. Each voice row carries `Attachment(kind="voice", path=…, cache_key=<note key>)`: the
delivery worker uploads the first one and sends the rest by the platform's file id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from pathlib import Path

from sqlalchemy import ColumnElement, and_, case, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import local_date
from core.db import rows_affected
from core import counted as changes_noted
from core import texts
from core.delivery.outbox import enqueue_many
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.orgs.models import ChannelLink, Member, Org, OrgKind, SpeechSpeed
from core.orgs.service import Actor, in_subtree, managed_org, receives_notices
from core.ports import Attachment, OutboundMessage
from core.listening import choice as recordings
from core.listening import presynthesis
from core.listening.models import SubjectKind
from core.resolutions import render
from core.resolutions.extract import MAX_TEXT_CHARS, Extracted, extract_text, tidy
from core.resolutions.models import Bookmark, Document, DocumentKind, DocumentState, DocumentStudy, StudyAssignment, StudyCampaign
from core.resolutions.search import fold, query_tokens
from core.resolutions.summarize import MAX_SUMMARY_CHARS, summarize
from core.storage import store_by_content
from voice.engines import VOICES
from voice.service import VoiceNote

KIND = "resolution"  # outbox kind of a published document's messages
MAX_TITLE_CHARS = 500
MIN_TITLE_CHARS = 4
PAGE_SIZE = 5
Variant = tuple[str, str]  # (voice, speed)


@dataclass(frozen=True)
class StoredFile:
    path: str
    name: str
    mime_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class DraftInput:
    kind: DocumentKind
    title: str
    full_text: str
    code: str | None = None
    issued_on: dt.date | None = None
    org_id: int | None = None
    summary: str | None = None  # None: drafted from the text


@dataclass(frozen=True)
class PublishResult:
    document: Document
    org: Org
    recipients: int
    queued: int
    unlinked: int
    voice_variants: int
    unlinked_names: tuple[str, ...] = ()  # whom the publisher should tell in person


@dataclass(frozen=True)
class Audience:
    org: Org
    recipients: int
    unlinked: int
    unlinked_names: tuple[str, ...] = ()  # whom the publisher should tell in person, alphabetically


@dataclass(frozen=True)
class LibraryPage:
    items: list[Document]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class ReaderView:
    document: Document
    org_name: str
    bookmarked: bool
    studied_at: dt.datetime | None
    may_manage: bool  # may open a study campaign for it


# ---------------------------------------------------------------- input checks


_CODE = re.compile(r"^[0-9A-ZĐ][0-9A-ZĐa-zđ.\-/ ]{0,38}[0-9A-ZĐa-zđ]$")


def clean_code(code: str | None) -> str | None:
    """"21-nq/tw" → "21-NQ/TW"; None when blank. Must hold a digit ("số hiệu")."""
    if code is None or not code.strip():
        return None
    value = re.sub(r"\s*([/-])\s*", r"\1", " ".join(code.split())).upper()
    if not _CODE.match(value) or not any(ch.isdigit() for ch in value):
        raise InvalidInput(texts.resolutions.CODE_INVALID)
    return value


def kind_from_code(code: str | None) -> DocumentKind | None:
    """The kind a code names: "21-NQ/TW" → NQ."""
    if not code:
        return None
    match = re.match(r"^\d+[A-Z]?-([A-ZĐ]+)/", code)
    if not match:
        return None
    try:
        return DocumentKind(match.group(1))
    except ValueError:
        return None


def clean_title(title: str) -> str:
    value = " ".join(title.split())
    if len(value) < MIN_TITLE_CHARS:
        raise InvalidInput(texts.resolutions.TITLE_TOO_SHORT)
    if len(value) > MAX_TITLE_CHARS:
        raise InvalidInput(texts.resolutions.TITLE_TOO_LONG.format(limit=MAX_TITLE_CHARS))
    return value


def clean_full_text(text: str) -> str:
    value = tidy(text)
    if not value:
        raise InvalidInput(texts.resolutions.TEXT_EMPTY)
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidInput(texts.resolutions.TEXT_TOO_LONG.format(limit=f"{MAX_TEXT_CHARS:,}".replace(",", ".")))
    return value


def clean_summary(summary: str) -> str:
    value = tidy(summary)
    if not value:
        raise InvalidInput(texts.resolutions.SUMMARY_EMPTY)
    if len(value) > MAX_SUMMARY_CHARS:
        raise InvalidInput(texts.resolutions.SUMMARY_TOO_LONG.format(limit=MAX_SUMMARY_CHARS))
    return value


def check_issued_on(issued_on: dt.date | None, *, today: dt.date) -> dt.date | None:
    """The one rule for a document's date of issue: not after today (the local calendar day), for a
    draft made in the bot or the API and for a date changed later."""
    if issued_on is not None and issued_on > today:
        raise InvalidInput(texts.resolutions.DATE_IN_FUTURE)
    return issued_on


def parse_day(text: str, *, today: dt.date, allow_future: bool = False) -> dt.date:
    """"16/6/2022", "16-06-2022", "16.6.22", "2022-06-16"; refuses a day after today unless `allow_future`."""
    value = text.strip()
    match = re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})", value)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    try:
        if match:
            day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
            if year < 100:
                year += 2000 if allow_future or 2000 + year <= today.year else 1900
            result = dt.date(year, month, day)
        elif iso:
            result = dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        else:
            raise ValueError(value)
    except ValueError as exc:
        raise InvalidInput(texts.resolutions.DATE_INVALID) from exc
    if not allow_future:
        check_issued_on(result, today=today)
    if result.year < 1930:
        raise InvalidInput(texts.resolutions.DATE_INVALID)
    return result


def search_fields(document: Document) -> tuple[str, str]:
    kind_name = texts.resolutions.KINDS[document.kind.value]
    head = fold(" ".join(filter(None, [document.kind.value, kind_name, document.code or "", document.title])))
    body = fold(f"{document.summary}\n{document.full_text}")
    return head[:1200], f"{head} {body}"


def _refresh_search(document: Document) -> None:
    document.search_head, document.search_text = search_fields(document)


# ---------------------------------------------------------------- original files


async def read_original(files_dir: str | Path, data: bytes, *, filename: str) -> tuple[Extracted, StoredFile]:
    """An uploaded original, the same whether it came through the bot or the API: its text extracted
    and the file kept (both off the event loop). The transport checks the size before reading it."""
    extracted = await asyncio.to_thread(extract_text, data, filename=filename)
    stored = await asyncio.to_thread(store_original, files_dir, data, filename=filename, extracted=extracted)
    return extracted, stored


def store_original(files_dir: str | Path, data: bytes, *, filename: str, extracted: Extracted) -> StoredFile:
    """Keep an uploaded original under DATA_DIR/files, named by its content hash (written once)."""
    extension = {"pdf": ".pdf", "docx": ".docx", "txt": ".txt"}[extracted.kind]
    path = store_by_content(files_dir, data, extension=extension)
    name = Path(filename).name.strip() or f"van-ban{extension}"
    if not name.lower().endswith(extension):
        name = f"{Path(name).stem or 'van-ban'}{extension}"
    return StoredFile(path=str(path), name=name[:255], mime_type=extracted.mime_type, size=len(data), sha256=path.stem)


# ---------------------------------------------------------------- where one may publish


async def publish_targets(session: AsyncSession, *, actor: Actor) -> list[Org]:
    """The organisations this person manages, and for each committee its direct sub-organisations."""
    found: dict[int, Org] = {}
    for org in sorted(actor.managed_orgs, key=lambda o: (o.depth, o.name)):
        found.setdefault(org.id, org)
        if org.kind == OrgKind.COMMITTEE:
            children = (await session.execute(select(Org).where(Org.parent_id == org.id).order_by(Org.name))).scalars()
            for child in children:
                found.setdefault(child.id, child)
    return list(found.values())


async def _managed_org(session: AsyncSession, actor: Actor, org_id: int) -> Org:
    return await managed_org(session, actor, org_id, refusal=texts.resolutions.BAD_TARGET)


def _require_publisher(actor: Actor) -> None:
    if not actor.is_manager:
        raise PermissionDenied(texts.resolutions.NOT_PUBLISHER)


# ---------------------------------------------------------------- drafts


async def create_draft(
    session: AsyncSession, *, actor: Actor, draft: DraftInput, original: StoredFile | None = None, now: dt.datetime
) -> Document:
    """A draft only its author sees, with a summary drafted from the text (unless one is given)."""
    _require_publisher(actor)
    org_id = draft.org_id if draft.org_id is not None else actor.managed_orgs[0].id
    org = await _managed_org(session, actor, org_id)
    full_text = clean_full_text(draft.full_text)
    document = Document(
        kind=draft.kind,
        code=clean_code(draft.code),
        issued_on=check_issued_on(draft.issued_on, today=local_date(now)),
        title=clean_title(draft.title),
        full_text=full_text,
        summary=clean_summary(draft.summary) if draft.summary is not None else summarize(full_text),
        org_id=org.id,
        state=DocumentState.DRAFT,
        created_by_id=actor.member.id,
        created_at=now,
        updated_at=now,
    )
    if original is not None:
        document.file_path = original.path
        document.file_name = original.name
        document.file_mime = original.mime_type
        document.file_size = original.size
        document.file_sha256 = original.sha256
    _refresh_search(document)
    session.add(document)
    await session.flush()
    return document


async def draft_for_author(session: AsyncSession, *, actor: Actor, document_id: int) -> Document:
    document = await session.get(Document, document_id)
    if document is None or document.created_by_id != actor.member.id or document.state == DocumentState.WITHDRAWN:
        raise NotFound(texts.common.NOT_FOUND)
    if document.state != DocumentState.DRAFT:
        raise Conflict(texts.resolutions.NOT_A_DRAFT)
    return document


async def update_draft(
    session: AsyncSession,
    *,
    actor: Actor,
    document_id: int,
    now: dt.datetime,
    summary: str | None = None,
    title: str | None = None,
    code: str | None = None,
    clear_code: bool = False,
    kind: DocumentKind | None = None,
    issued_on: dt.date | None = None,
    org_id: int | None = None,
) -> Document:
    document = await draft_for_author(session, actor=actor, document_id=document_id)
    if summary is not None:
        document.summary = clean_summary(summary)
    if title is not None:
        document.title = clean_title(title)
    if clear_code:
        document.code = None
    elif code is not None:
        document.code = clean_code(code)
    if kind is not None:
        document.kind = kind
    if issued_on is not None:
        document.issued_on = check_issued_on(issued_on, today=local_date(now))
    if org_id is not None:
        document.org_id = (await _managed_org(session, actor, org_id)).id
    document.updated_at = now
    _refresh_search(document)
    await session.flush()
    return document


async def discard_draft(session: AsyncSession, *, actor: Actor, document_id: int) -> None:
    document = await draft_for_author(session, actor=actor, document_id=document_id)
    await session.delete(document)
    await session.flush()


# ---------------------------------------------------------------- publishing


def _audience_query(org: Org, *, exclude_member_id: int | None):  # type: ignore[no-untyped-def]
    query = select(Member.id).join(Org, Org.id == Member.org_id).where(in_subtree(org.path), receives_notices())
    if exclude_member_id is not None:
        query = query.where(Member.id != exclude_member_id)
    return query


async def audience(session: AsyncSession, *, actor: Actor, org_id: int) -> Audience:
    org = await _managed_org(session, actor, org_id)
    members = _audience_query(org, exclude_member_id=actor.member.id).subquery()
    total = int(await session.scalar(select(func.count()).select_from(members)) or 0)
    linked = int(
        await session.scalar(
            # Linked on any messenger: each member is counted once, whichever channel receives them.
            select(func.count(func.distinct(ChannelLink.member_id))).where(ChannelLink.member_id.in_(select(members.c.id)))
        )
        or 0
    )
    linked_ids = select(ChannelLink.member_id)  # on any messenger, as counted above
    names = (
        await session.execute(
            select(Member.full_name).where(Member.id.in_(select(members.c.id)), Member.id.notin_(linked_ids)).order_by(Member.full_name)
        )
    ).scalars().all()
    return Audience(org=org, recipients=total, unlinked=total - linked, unlinked_names=tuple(names))


async def voice_variants(session: AsyncSession, *, actor: Actor, document_id: int) -> set[Variant]:
    """The (voice, speed) renderings the document's recipients need (those who turned voice on)."""
    document = await draft_for_author(session, actor=actor, document_id=document_id)
    org = await _managed_org(session, actor, document.org_id)
    members = _audience_query(org, exclude_member_id=actor.member.id).subquery()
    rows = await session.execute(
        select(Member.voice_name, Member.speech_speed, Member.listen_language)
        .where(Member.id.in_(select(members.c.id)), Member.voice_enabled).distinct()
    )
    # Members a person's recording serves need no synthesis.
    recorded = await recordings.recordings_of(session, document_id=document.id)
    return {(normalize_voice(voice), SpeechSpeed(speed).value) for voice, speed, language in rows
            if recordings.choose(language, recorded) is None}


def normalize_voice(voice: str | None) -> str:
    return voice if voice in VOICES else "vi"


def voice_message(document: Document, note: VoiceNote, *, speed: str) -> OutboundMessage:
    return OutboundMessage(
        text=render.voice_caption(document, part=note.part, parts=note.parts),
        buttons=render.voice_buttons(document.id, speed=speed),
        attachment=Attachment(kind="voice", path=str(note.path), duration=note.duration, cache_key=note.key),
    )


async def publish(
    session: AsyncSession,
    *,
    actor: Actor,
    document_id: int,
    now: dt.datetime,
    voices: Mapping[Variant, Sequence[VoiceNote]] | None = None,
) -> PublishResult:
    """Publish a draft to its organisation's subtree: every recipient gets the summary with
    «📄 Toàn văn» and «✅ Tôi đã nghiên cứu», and — if they want voice and their variant was
    rendered — the voice note(s) with «🔁 Nghe lại» / «🐢 Nghe chậm hơn». A variant missing from
    `voices` (synthesis failed) leaves those members text only; they can press «🔊 Nghe» later.
    """
    document = await draft_for_author(session, actor=actor, document_id=document_id)
    org = await _managed_org(session, actor, document.org_id)
    if not document.summary.strip():
        raise InvalidInput(texts.resolutions.SUMMARY_EMPTY)
    rows = (
        await session.execute(
            select(Member.id, Member.voice_enabled, Member.voice_name, Member.speech_speed, Member.listen_language).where(
                Member.id.in_(_audience_query(org, exclude_member_id=actor.member.id))
            )
        )
    ).all()
    if not rows:
        raise InvalidInput(texts.resolutions.NO_RECIPIENTS.format(org=html.escape(org.name)))
    voices = voices or {}
    # A person's recording, when one serves the member, comes instead of the synthetic voice.
    recorded = await recordings.recordings_of(session, document_id=document.id)
    by_recording, _ = recordings.split_by_recording(((m, lang) for m, enabled, _v, _s, lang in rows if enabled), recorded)
    with_recording = {member_id for members in by_recording.values() for member_id in members}
    by_variant: dict[Variant, list[int]] = defaultdict(list)
    text_only: list[int] = []
    for member_id, enabled, voice, speed, _language in rows:
        variant = (normalize_voice(voice), SpeechSpeed(speed).value)
        if member_id in with_recording:
            continue
        if enabled and voices.get(variant):
            by_variant[variant].append(member_id)
        else:
            text_only.append(member_id)
    document.state = DocumentState.PUBLISHED
    document.published_at = now
    document.published_by_id = actor.member.id
    document.updated_at = now
    document.recipients = len(rows)
    source = f"document:{document.id}"
    buttons = render.published_buttons(document)
    queued = 0
    unlinked: set[int] = set()
    with_voice = [m for members in by_variant.values() for m in members] + sorted(with_recording)
    for member_ids, has_voice in ((with_voice, True), (text_only, False)):
        if not member_ids:
            continue
        message = OutboundMessage(text=render.published_text(document, org.name, with_voice=has_voice), buttons=buttons)
        result = await enqueue_many(session, member_ids=member_ids, kind=KIND, source=source, message=message, key_suffix="summary", not_before=now)
        queued += result.queued
        unlinked.update(result.unlinked_member_ids)
    for (voice, speed), member_ids in by_variant.items():
        for note in voices[(voice, speed)]:
            await enqueue_many(
                session, member_ids=member_ids, kind=KIND, source=source, message=voice_message(document, note, speed=speed),
                key_suffix=f"voice{note.part}", not_before=now,
            )
    if by_recording:
        spoken_names = await recordings.language_names(session)
        for language, member_ids in by_recording.items():
            recording = recorded[language]
            await enqueue_many(
                session, member_ids=member_ids, kind=KIND, source=source,
                message=render.recording_message(document, recording, spoken_names.get(language, language)),
                key_suffix=f"rec-{language}-{recording.sha256[:16]}", not_before=now,
            )
    # Variants a render above missed (an engine failure) are made in the background before a tap.
    await presynthesis.queue(session, kind=SubjectKind.DOCUMENT, subject_id=document.id, now=now)
    await session.flush()
    names = (
        (await session.execute(select(Member.full_name).where(Member.id.in_(list(unlinked))).order_by(Member.full_name))).scalars().all()
        if unlinked else []
    )
    return PublishResult(
        document=document, org=org, recipients=len(rows), queued=queued, unlinked=len(unlinked),
        voice_variants=len(by_variant) + len(by_recording),
        unlinked_names=tuple(names),
    )


# ---------------------------------------------------------------- the library


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """Published to the member's cell or an ancestor of it; or to something this person manages."""
    reach: ColumnElement[bool] = Document.org_id.in_(actor.cell.ancestor_ids)
    managed = [org.path for org in actor.managed_orgs]
    if managed:
        reach = or_(reach, Document.org_id.in_(select(Org.id).where(or_(*(in_subtree(path) for path in managed)))))
    return and_(Document.state == DocumentState.PUBLISHED, reach)


async def library(
    session: AsyncSession, *, actor: Actor, page: int = 1, query: str | None = None, saved: bool = False, per_page: int = PAGE_SIZE
) -> LibraryPage:
    """Newest first. With `query`, documents whose folded text holds every folded token, those
    matching in kind/code/title first. With `saved`, the member's bookmarks (newest bookmark first)."""
    condition = visible_to(actor)
    order: list[ColumnElement[Any]] = []
    if query is not None:
        tokens = query_tokens(query)
        if not tokens:
            raise InvalidInput(texts.resolutions.SEARCH_TOO_SHORT)
        condition = and_(condition, *(Document.search_text.contains(token) for token in tokens))
        in_head = and_(*(Document.search_head.contains(token) for token in tokens))
        order.append(case((in_head, 0), else_=1))
    base = select(Document).where(condition)
    if saved:
        base = base.join(Bookmark, and_(Bookmark.document_id == Document.id, Bookmark.member_id == actor.member.id))
        order.append(Bookmark.created_at.desc())
    order += [Document.published_at.desc(), Document.id.desc()]
    total = int(await session.scalar(select(func.count()).select_from(base.with_only_columns(Document.id).subquery())) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list((await session.execute(base.order_by(*order).offset((page - 1) * per_page).limit(per_page))).scalars())
    return LibraryPage(items=items, page=page, pages=pages, total=total)


async def readable(session: AsyncSession, *, actor: Actor, document_id: int) -> Document:
    """A document this person may read (a published one that reaches them), or NotFound."""
    document = (await session.execute(select(Document).where(Document.id == document_id, visible_to(actor)))).scalar_one_or_none()
    if document is None:
        raise NotFound(texts.common.NOT_FOUND)
    return document


async def document_for(session: AsyncSession, *, actor: Actor, document_id: int) -> Document:
    """A published document that reaches this person, or their own draft; NotFound otherwise."""
    document = await session.get(Document, document_id)
    if document is not None and document.state == DocumentState.DRAFT and document.created_by_id == actor.member.id:
        return document
    return await readable(session, actor=actor, document_id=document_id)


async def reader_view(session: AsyncSession, *, actor: Actor, document_id: int) -> ReaderView:
    document = await readable(session, actor=actor, document_id=document_id)
    org = await session.get(Org, document.org_id)
    bookmarked = await session.scalar(
        select(exists().where(Bookmark.member_id == actor.member.id, Bookmark.document_id == document.id))
    )
    studied_at = await session.scalar(
        select(DocumentStudy.studied_at).where(DocumentStudy.member_id == actor.member.id, DocumentStudy.document_id == document.id)
    )
    may_manage = org is not None and any(
        root.path.startswith(org.path) or org.path.startswith(root.path) for root in actor.managed_orgs
    )
    return ReaderView(document=document, org_name=org.name if org else "", bookmarked=bool(bookmarked), studied_at=studied_at, may_manage=may_manage)


async def set_bookmark(session: AsyncSession, *, actor: Actor, document_id: int, on: bool, now: dt.datetime) -> bool:
    """⭐ Lưu / ☆ Bỏ lưu; True when something changed."""
    document = await readable(session, actor=actor, document_id=document_id)
    if on:
        existing = await session.scalar(
            select(Bookmark.id).where(Bookmark.member_id == actor.member.id, Bookmark.document_id == document.id)
        )
        if existing is not None:
            return False
        try:
            async with session.begin_nested():
                session.add(Bookmark(member_id=actor.member.id, document_id=document.id, created_at=now))
        except IntegrityError:  # the same press twice at once
            return False
        return True
    result = await session.execute(delete(Bookmark).where(Bookmark.member_id == actor.member.id, Bookmark.document_id == document.id))
    return bool(rows_affected(result))


async def confirm_studied(session: AsyncSession, *, actor: Actor, document_id: int, now: dt.datetime) -> bool:
    """«✅ Tôi đã nghiên cứu»: recorded once; also completes the member's campaigns for it. False if already."""
    document = await readable(session, actor=actor, document_id=document_id)
    existing = await session.scalar(
        select(DocumentStudy.id).where(DocumentStudy.member_id == actor.member.id, DocumentStudy.document_id == document.id)
    )
    if existing is not None:
        return False
    session.add(DocumentStudy(member_id=actor.member.id, document_id=document.id, studied_at=now))
    campaigns = select(StudyCampaign.id).where(StudyCampaign.document_id == document.id, StudyCampaign.closed_at.is_(None))
    cells = await session.execute(
        update(StudyAssignment)
        .where(StudyAssignment.member_id == actor.member.id, StudyAssignment.campaign_id.in_(campaigns), StudyAssignment.studied_at.is_(None))
        .values(studied_at=now)
        .returning(StudyAssignment.cell_id)
        .execution_options(synchronize_session=False)
    )
    changes_noted.changed(session, source="study", org_ids=cells.scalars())
    await session.flush()
    return True


async def remember_file_id(session: AsyncSession, *, document_id: int, file_id: str, replacing: str | None = None) -> None:
    """The platform's id of the document's file after an upload: kept when there is none yet, or in
    place of `replacing`, an id the platform rejected."""
    unset = Document.file_id.is_(None) if replacing is None else (Document.file_id.is_(None) | (Document.file_id == replacing))
    await session.execute(
        update(Document).where(Document.id == document_id, unset).values(file_id=file_id).execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------- voice preferences


async def set_voice_preferences(
    session: AsyncSession, *, member: Member, enabled: bool | None = None, speed: str | None = None, voice: str | None = None, now: dt.datetime
) -> Member:
    if voice is not None and voice not in VOICES:
        raise InvalidInput(texts.resolutions.BAD_VOICE)
    if speed is not None:
        try:
            member.speech_speed = SpeechSpeed(speed)
        except ValueError as exc:
            raise InvalidInput(texts.resolutions.BAD_VOICE) from exc
    if enabled is not None:
        member.voice_enabled = enabled
    if voice is not None:
        member.voice_name = voice
    member.updated_at = now
    await session.flush()
    return member


def member_variant(member: Member, *, slow: bool = False) -> Variant:
    return normalize_voice(member.voice_name), "slow" if slow else SpeechSpeed(member.speech_speed).value


__all__ = [
    "KIND",
    "Audience",
    "DraftInput",
    "LibraryPage",
    "PublishResult",
    "ReaderView",
    "StoredFile",
    "audience",
    "clean_code",
    "confirm_studied",
    "create_draft",
    "draft_for_author",
    "library",
    "publish",
    "publish_targets",
    "readable",
    "reader_view",
    "set_bookmark",
    "set_voice_preferences",
    "store_original",
    "update_draft",
    "voice_variants",
]
