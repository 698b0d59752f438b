"""/api/v1/notices: broadcast a notice to an organisation, follow its delivery and «Đã xem».

Sending needs the same right as in the bot: secretary or deputy of the cell, or a committee member
above it. A notice is visible to its author and to whoever manages its organisation; to anyone else
it is 404, exactly like a missing one. `POST /notices` sends text; `POST /notices/with-file` sends
one file (photo, document or voice message) with an optional caption, as the bot does, and
`GET /notices/{id}/file` hands that file back. The final report goes to the author's Telegram when
they have linked an account.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Header, HTTPException, Query, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.downloads import download_responses, file_download
from api.errors import error_responses
from api.deps import AuditedActor, ClockDep, CurrentActor, RuntimeDep, SessionDep
from api.routes.documents import files_dir_of
from api.schemas.common import Id, id_form, id_path, id_query
from core import texts
from core.notices import files, service
from core.notices.models import Notice
from core.orgs.service import get_org

router = APIRouter(prefix="/notices", tags=["notices"])

FILE_PATH = "/api/v1/notices/with-file"
FILE_MAX_BYTES = files.MAX_FILE_BYTES
FILE_BODY_LIMIT = FILE_MAX_BYTES + 64 * 1024  # the multipart envelope: the file, a caption, an id


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        401: "No token, or the token is unknown, expired or revoked",
        403: "The caller does not manage that organisation",
        404: "No such notice or organisation, or one the caller may not see (indistinguishable)",
        409: "The notice has already finished or been stopped; or the idempotency key belongs to someone else",
        413: f"The file is larger than {FILE_MAX_BYTES // 1024 // 1024} MB",
        415: "A file type outside the list, or content that is not what its name says (`error`: `unsupported_file_type`); "
             "`message` says which types a notice takes",
        422: "Empty or too long text, nobody to send to, or an empty file; `message` says which",
    }
    return error_responses(*codes, descriptions=described)


# ---------------------------------------------------------------- schemas


class NoticeCreate(BaseModel):
    org_id: Id = Field(description="A cell, or a committee meaning its whole subtree", examples=[12])
    text: str = Field(min_length=1, max_length=service.MAX_TEXT_CHARS, examples=["Họp chi bộ lúc 8 giờ sáng Chủ Nhật tại nhà văn hóa thôn."])
    urgent: bool = Field(False, description="An urgent notice (a committee member to a committee's whole subtree only). With paid "
                                            "broadcasts on (SOTAY_PAID_BROADCAST) it is sent as a paid broadcast, up to 1,000 messages/s")
    confirm_paid_stars: Decimal | None = Field(
        None, ge=0, max_digits=18, decimal_places=4,
        description="For an urgent notice with paid broadcasts on: the cost in Telegram Stars from GET /notices/audience "
                    "(`paid.stars`), confirming it. Missing or different from the cost now: 409 with the cost in `message`",
        examples=["1234.5"],
    )


class OrgRef(BaseModel):
    id: int = Field(examples=[12])
    name: str = Field(examples=["Chi bộ thôn Khe Gầy"])


class CountsOut(BaseModel):
    recipients: int = Field(description="Everyone the notice is for", examples=[16])
    linked: int = Field(description="Recipients with a Telegram account: the messages queued", examples=[14])
    unlinked: int = Field(description="Recipients without an account: phone them", examples=[2])
    sent: int = Field(examples=[12])
    pending: int = Field(description="Not sent yet (queued, being sent, or waiting for a retry)", examples=[1])
    unreachable: int = Field(description="Blocked the bot, or the account is gone", examples=[1])
    failed: int = Field(examples=[0])
    cancelled: int = Field(description="Not sent because the notice was stopped", examples=[0])
    seen: int = Field(description="Recipients who pressed «✅ Đã xem»", examples=[9])


class NoticeOut(BaseModel):
    id: int = Field(examples=[7])
    org: OrgRef
    text: str
    attachment: Literal["photo", "document", "voice"] | None = Field(
        description="The file sent with it (from Telegram or uploaded here), as members receive it", examples=["document"]
    )
    attachment_name: str | None = Field(description="The uploaded file's name (files sent in Telegram have none)",
                                        examples=["Kế hoạch tháng 12.pdf"])
    attachment_downloadable: bool = Field(
        description="GET /notices/{notice_id}/file returns the file (uploaded over the API); a file sent in Telegram stays there",
        examples=[True],
    )
    status: Literal["sending", "done", "cancelled"]
    urgent: bool = Field(False, description="Sent as an urgent notice")
    paid_stars: Decimal | None = Field(None, description="The cost confirmed in Telegram Stars when sent as a paid broadcast; null: free")
    author_member_id: int | None = Field(examples=[3])
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
    finished_at: dt.datetime | None = Field(description="When every message was tried (or the notice stopped) and reported")
    counts: CountsOut


class RecipientOut(BaseModel):
    member_id: int = Field(examples=[17])
    full_name: str = Field(examples=["Lò Văn Páo"])
    linked: bool
    delivery: Literal["unlinked", "pending", "sending", "sent", "failed", "unreachable", "cancelled"]
    sent_at: dt.datetime | None
    seen_at: dt.datetime | None = Field(description="When they pressed «✅ Đã xem»")


class NoticeDetail(NoticeOut):
    recipients: list[RecipientOut]


async def _out(session: SessionDep, notice: Notice) -> NoticeOut:
    org = await get_org(session, notice.org_id)
    progress = await service.progress_of(session, notice)
    return NoticeOut(
        id=notice.id,
        org=OrgRef(id=org.id, name=org.name),
        text=notice.text,
        attachment=notice.attachment_kind.value if notice.attachment_kind else None,
        attachment_name=notice.attachment_filename,
        attachment_downloadable=bool(notice.attachment_path),
        status=notice.status.value,
        urgent=bool(notice.urgent),
        paid_stars=notice.paid_stars,
        author_member_id=notice.author_member_id,
        created_at=notice.created_at,
        cancelled_at=notice.cancelled_at,
        finished_at=notice.finished_at,
        counts=CountsOut(
            recipients=progress.total, linked=progress.linked, unlinked=progress.unlinked, sent=progress.sent, pending=progress.pending,
            unreachable=progress.unreachable, failed=progress.failed, cancelled=progress.cancelled, seen=progress.seen,
        ),
    )


NoticeId = Annotated[int, id_path("Notice id", 7)]
IdempotencyKey = Annotated[
    str | None,
    Header(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="Repeat a request with the same key: one notice is sent"),
]


def _request_key(actor: CurrentActor, idempotency_key: str | None) -> str | None:
    return f"api:{actor.member.id}:{idempotency_key}" if idempotency_key else None


# ---------------------------------------------------------------- routes


@router.post(
    "",
    summary="Send a notice to every member of an organisation",
    status_code=status.HTTP_201_CREATED,
    responses=_errors(401, 403, 404, 409, 422),
)
async def create_notice(
    body: NoticeCreate,
    session: SessionDep,
    actor: AuditedActor,
    clock: ClockDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> NoticeOut:
    notice = await service.create_notice(
        session, actor=actor, org_id=body.org_id, text=body.text, now=clock.now(), request_key=_request_key(actor, idempotency_key),
        urgent=body.urgent, paid_price=runtime.settings.paid_broadcast_price, confirmed_stars=body.confirm_paid_stars,
    )
    return await _out(session, notice)


@router.post(
    "/with-file",
    summary=f"Send a notice with one file — photo (JPG, PNG), document (PDF, DOC, DOCX, XLSX) or voice message (OGG/Opus), "
            f"≤ {FILE_MAX_BYTES // 1024 // 1024} MB — and an optional caption (≤ {service.MAX_CAPTION_CHARS} characters)",
    description="Members receive the file exactly as when the secretary sends it in the bot: the caption with the "
                "organisation's header and the sender's footer, and the «✅ Đã xem» button. An image larger than "
                f"{files.MAX_PHOTO_BYTES // 1024 // 1024} MB is sent as a file.",
    status_code=status.HTTP_201_CREATED,
    responses=_errors(401, 403, 404, 409, 413, 415, 422),
)
async def create_notice_with_file(
    org_id: Annotated[int, id_form("A cell, or a committee meaning its whole subtree")],
    file: Annotated[UploadFile, File(description="The file; its name's extension must match its content")],
    session: SessionDep,
    actor: AuditedActor,
    clock: ClockDep,
    runtime: RuntimeDep,
    text: Annotated[str, Form(max_length=service.MAX_CAPTION_CHARS, description="The caption; may be empty",
                              examples=["Kế hoạch sinh hoạt tháng 12, đồng chí xem tệp đính kèm."])] = "",
    idempotency_key: IdempotencyKey = None,
) -> NoticeOut:
    await service.preview(session, actor=actor, org_id=org_id)  # scope and audience first: nothing is stored for others
    data = await file.read(FILE_MAX_BYTES + 1)
    if len(data) > FILE_MAX_BYTES:
        raise HTTPException(413, texts.api.TOO_LARGE.format(megabytes=FILE_MAX_BYTES // 1024 // 1024))
    attachment = await asyncio.to_thread(files.store_upload, files_dir_of(runtime), data, filename=file.filename or "")
    notice = await service.create_notice(
        session, actor=actor, org_id=org_id, text=text, attachment=attachment, now=clock.now(),
        request_key=_request_key(actor, idempotency_key),
    )
    return await _out(session, notice)


class PaidOut(BaseModel):
    messages: int = Field(description="Recipients who get it on Telegram: the messages paid for", examples=[12345])
    price_stars: Decimal = Field(description="Telegram Stars per message (SOTAY_PAID_BROADCAST)", examples=["0.1"])
    stars: Decimal = Field(description="The cost of sending it urgent and paid: confirm it as `confirm_paid_stars`", examples=["1234.5"])


class AudienceOut(BaseModel):
    org: OrgRef
    recipients: int = Field(description="Members the notice would be for (not the sender)", examples=[16])
    unlinked: int = Field(description="Of those, members without a Telegram account: phone them", examples=[2])
    paid: PaidOut | None = Field(None, description="What an urgent notice would cost as a paid broadcast; null when paid "
                                                   "broadcasts are off or the caller may not send one here")


@router.get("/audience", summary="Preview: who a notice to this organisation would reach, before sending",
            responses=_errors(401, 403, 404, 422))
async def notice_audience(
    session: SessionDep, actor: CurrentActor, runtime: RuntimeDep, org_id: Annotated[int, id_query("A cell, or a committee meaning its whole subtree")]
) -> AudienceOut:
    preview = await service.preview(session, actor=actor, org_id=org_id, paid_price=runtime.settings.paid_broadcast_price)
    cost = preview.paid
    return AudienceOut(
        org=OrgRef(id=preview.org.id, name=preview.org.name), recipients=preview.total, unlinked=preview.unlinked,
        paid=PaidOut(messages=cost.messages, price_stars=cost.price, stars=cost.stars) if cost else None,
    )


@router.get("", summary="The latest notices of the organisations the caller manages, and their own", responses=_errors(401))
async def list_notices(
    session: SessionDep, actor: CurrentActor, limit: Annotated[int, Query(ge=1, le=50)] = 20
) -> list[NoticeOut]:
    return [await _out(session, summary.notice) for summary in await service.recent_notices(session, actor=actor, limit=limit)]


@router.get("/{notice_id}", summary="One notice: delivery and «Đã xem» of every recipient", responses=_errors(401, 404))
async def get_notice(notice_id: NoticeId, session: SessionDep, actor: CurrentActor) -> NoticeDetail:
    notice, _ = await service.notice_for_manager(session, actor=actor, notice_id=notice_id)
    recipients = await service.recipients_of(session, notice)
    return NoticeDetail(
        **(await _out(session, notice)).model_dump(),
        recipients=[
            RecipientOut(
                member_id=r.member_id, full_name=r.full_name, linked=r.linked, delivery=r.delivery,  # type: ignore[arg-type]
                sent_at=r.sent_at, seen_at=r.seen_at,
            )
            for r in recipients
        ],
    )


@router.get(
    "/{notice_id}/file",
    summary="Download the notice's file (to its author and those who manage its organisation)",
    response_class=FileResponse,
    responses=download_responses(
        list(files.RULE.mime_types.values()),
        example_name="Kế hoạch tháng 12.pdf",
        refusals={
            404: "No such notice, one the caller may not see (indistinguishable), or a notice without a file (`message` says so)",
            409: "Sent in Telegram (`error`: `document_not_stored`): Sổ tay keeps only Telegram's file id, not a copy, so it is "
                 "opened in the notice there; or the stored copy is gone; `message` says which",
        },
    ),
)
async def download_notice_file(notice_id: NoticeId, session: SessionDep, actor: CurrentActor) -> FileResponse:
    stored = await service.file_for_manager(session, actor=actor, notice_id=notice_id)
    return file_download(stored.path, media_type=stored.media_type, filename=stored.filename)


@router.post("/{notice_id}/cancel", summary="Stop a notice that is still being sent", responses=_errors(401, 404, 409))
async def cancel_notice(notice_id: NoticeId, session: SessionDep, actor: AuditedActor, clock: ClockDep) -> NoticeOut:
    notice = await service.cancel_notice(session, actor=actor, notice_id=notice_id, now=clock.now())
    return await _out(session, notice)
