"""/api/v1/feedback: members' comments, reports and proposals, and the answers to them.

A caller sees their own items and those addressed inside the organisations they lead; an item
outside that is answered 404, exactly like a missing one. Replies, forwards and closing need the
item's current level (403 with the reason otherwise). Media stay in Telegram: the API tells that
an item has a voice message or a photo, and replies by text.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from api.errors import error_responses
from api.deps import AuditDep, ClockDep, CurrentActor, SessionDep
from api.schemas.common import Id, id_path, id_query
from core.feedback import render, service
from core.feedback.models import FeedbackItem, FeedbackKind, FeedbackState
from core.orgs.models import Org

router = APIRouter(prefix="/feedback", tags=["feedback"])

ItemId = Annotated[int, id_path("Feedback item id", 123)]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        401: "No token, or the token is unknown, expired or revoked",
        403: "The caller may read the item but not do this (wrong level, own item, not a recipient)",
        404: "No such item, or one the caller may not read (the two are indistinguishable)",
        409: "The item is closed, or already at the top of the tree",
        422: "The input breaks a limit (empty, too long); `message` says which",
        429: "Too many items from this member: 5 an hour, 20 a day",
    }
    return error_responses(*codes, descriptions=described)


# ---------------------------------------------------------------- schemas


class OrgRef(BaseModel):
    id: int = Field(examples=[12])
    name: str = Field(examples=["Chi bộ thôn Khe Gầy"])


class ReplyOut(BaseModel):
    id: int = Field(examples=[3])
    author_name: str = Field(examples=["Nguyễn Văn An"])
    org_name: str = Field(description="The organisation the reply speaks for", examples=["Chi bộ thôn Khe Gầy"])
    text: str | None = Field(examples=["Chi bộ đã ghi nhận và sẽ báo cáo Đảng ủy xã."])
    has_voice: bool = Field(examples=[False])
    voice_duration: int | None = Field(description="Seconds", examples=[None])
    created_at: dt.datetime


class ForwardOut(BaseModel):
    from_org: str = Field(examples=["Chi bộ thôn Khe Gầy"])
    to_org: str = Field(examples=["Đảng bộ xã Mù Cang Chải"])
    by_name: str = Field(examples=["Nguyễn Văn An"])
    at: dt.datetime
    note: str | None = Field(examples=["Vượt thẩm quyền của chi bộ"])


class PermissionsOut(BaseModel):
    can_reply: bool
    can_close: bool
    forward_to: OrgRef | None = Field(description="Where a forward would send it; null when the caller cannot forward")


class FeedbackSummaryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 123, "reference": "PA-2026-000123", "kind": "report", "state": "open",
                    "author_name": "Lò Văn Páo", "addressed_org": {"id": 12, "name": "Chi bộ thôn Khe Gầy"},
                    "current_org": {"id": 12, "name": "Chi bộ thôn Khe Gầy"}, "excerpt": "Đường vào thôn bị sạt lở…",
                    "has_voice": False, "voice_duration": None, "has_photo": True, "reply_count": 0,
                    "created_at": "2026-11-23T03:00:00Z", "answered_at": None, "closed_at": None,
                }
            ]
        }
    )

    id: int
    reference: str = Field(description="Short number the member sees: GY (góp ý), PA (phản ánh), ĐX (đề xuất), year, id")
    kind: FeedbackKind
    state: FeedbackState
    author_name: str
    addressed_org: OrgRef = Field(description="Where the member sent it")
    current_org: OrgRef = Field(description="Where it is handled now (differs after a forward upward)")
    excerpt: str | None = Field(description="The start of the text, at most 200 characters")
    has_voice: bool
    voice_duration: int | None
    has_photo: bool
    reply_count: int
    created_at: dt.datetime
    answered_at: dt.datetime | None = Field(description="The first answer")
    closed_at: dt.datetime | None


class FeedbackOut(FeedbackSummaryOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 123, "reference": "PA-2026-000123", "kind": "report", "state": "answered",
                    "author_name": "Lò Văn Páo", "addressed_org": {"id": 12, "name": "Chi bộ thôn Khe Gầy"},
                    "current_org": {"id": 12, "name": "Chi bộ thôn Khe Gầy"}, "excerpt": "Đường vào thôn bị sạt lở.",
                    "text": "Đường vào thôn bị sạt lở.", "has_voice": False, "voice_duration": None, "has_photo": False,
                    "reply_count": 1, "created_at": "2026-11-23T03:00:00Z", "answered_at": "2026-11-23T05:00:00Z",
                    "closed_at": None, "is_author": False,
                    "replies": [
                        {"id": 3, "author_name": "Nguyễn Văn An", "org_name": "Chi bộ thôn Khe Gầy",
                         "text": "Chi bộ đã báo xã cử người khắc phục.", "has_voice": False, "voice_duration": None,
                         "created_at": "2026-11-23T05:00:00Z"}
                    ],
                    "forwards": [],
                    "permissions": {"can_reply": True, "can_close": True, "forward_to": {"id": 4, "name": "Đảng bộ xã Mù Cang Chải"}},
                }
            ]
        }
    )

    text: str | None
    is_author: bool
    replies: list[ReplyOut]
    forwards: list[ForwardOut]
    permissions: PermissionsOut


class FeedbackPage(BaseModel):
    items: list[FeedbackSummaryOut]
    page: int = Field(examples=[1])
    page_size: int = Field(examples=[20])
    total: int = Field(examples=[42])
    pages: int = Field(examples=[3])


class RecipientOut(OrgRef):
    kind: Literal["cell", "committee"]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "proposal", "org_id": 4, "text": "Đề nghị mở lớp tin học cho đảng viên cao tuổi."}]}
    )

    kind: FeedbackKind
    org_id: Id = Field(description="The member's own cell or the committee directly above (see GET /feedback/recipients)")
    # Length is checked by core (1..4000 after trimming) so the refusal explains the limit in words.
    text: str = Field(max_length=100_000)


class ReplyIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Chi bộ đã ghi nhận và sẽ báo cáo Đảng ủy xã."}]})

    text: str = Field(max_length=100_000, description="1 to 3500 characters after trimming")


class ForwardIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "Vượt thẩm quyền của chi bộ"}]})

    note: str | None = Field(default=None, max_length=100_000, description="Optional, at most 500 characters")


# ---------------------------------------------------------------- mapping


def _ref(org: Org) -> OrgRef:
    return OrgRef(id=org.id, name=org.name)


def _excerpt(item: FeedbackItem) -> str | None:
    return render.shorten(item.text, 200) if item.text else None


def _summary(s: service.ItemSummary) -> FeedbackSummaryOut:
    item = s.item
    return FeedbackSummaryOut(
        id=item.id, reference=item.reference, kind=item.kind, state=item.state, author_name=s.author_name,
        addressed_org=OrgRef(id=item.addressed_org_id, name=s.addressed_org_name),
        current_org=OrgRef(id=item.current_org_id, name=s.current_org_name), excerpt=_excerpt(item),
        has_voice=item.has_voice, voice_duration=item.voice_duration, has_photo=item.has_photo, reply_count=s.reply_count,
        created_at=item.created_at, answered_at=item.answered_at, closed_at=item.closed_at,
    )


def _detail(view: service.ItemView) -> FeedbackOut:
    item = view.item
    return FeedbackOut(
        id=item.id, reference=item.reference, kind=item.kind, state=item.state, author_name=view.author_name,
        addressed_org=_ref(view.addressed_org), current_org=_ref(view.current_org), excerpt=_excerpt(item), text=item.text,
        has_voice=item.has_voice, voice_duration=item.voice_duration, has_photo=item.has_photo, reply_count=len(view.replies),
        created_at=item.created_at, answered_at=item.answered_at, closed_at=item.closed_at, is_author=view.is_author,
        replies=[
            ReplyOut(
                id=r.id, author_name=r.author_name, org_name=r.org_name, text=r.text, has_voice=r.voice_file_id is not None,
                voice_duration=r.voice_duration, created_at=r.created_at,
            )
            for r in view.replies
        ],
        forwards=[
            ForwardOut(from_org=f.from_org_name, to_org=f.to_org_name, by_name=f.by_name, at=f.at, note=f.note) for f in view.forwards
        ],
        permissions=PermissionsOut(
            can_reply=view.can_act, can_close=view.can_act, forward_to=_ref(view.forward_to) if view.forward_to else None
        ),
    )


# ---------------------------------------------------------------- routes


@router.get("", summary="Feedback items the caller may read", response_model=FeedbackPage, responses=_errors(401, 404))
async def list_feedback(
    session: SessionDep,
    actor: CurrentActor,
    scope: Annotated[
        Literal["visible", "mine", "inbox"],
        Query(description="visible: everything readable; mine: the caller's own; inbox: addressed or forwarded to the levels the caller leads"),
    ] = "visible",
    state: FeedbackState | None = None,
    kind: FeedbackKind | None = None,
    org_id: Annotated[int | None, id_query("Only items addressed inside this organisation's subtree")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> FeedbackPage:
    result = await service.list_items(
        session, actor=actor, scope=scope, state=state, kind=kind, org_id=org_id, offset=(page - 1) * page_size, limit=page_size
    )
    return FeedbackPage(items=[_summary(s) for s in result.items], page=page, page_size=page_size, total=result.total, pages=result.pages)


@router.get("/recipients", summary="Where the caller may send feedback", response_model=list[RecipientOut], responses=_errors(401))
async def recipients(session: SessionDep, actor: CurrentActor) -> list[RecipientOut]:
    return [RecipientOut(id=o.id, name=o.name, kind=o.kind.value) for o in await service.recipients_for(session, actor=actor)]


@router.post(
    "", summary="Send a comment, report or proposal (text)", status_code=status.HTTP_201_CREATED, response_model=FeedbackOut,
    responses=_errors(401, 403, 422, 429),
)
async def create_feedback(body: FeedbackIn, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> FeedbackOut:
    item = await service.submit(
        session, actor=actor, kind=body.kind, org_id=body.org_id, content=service.Content(text=body.text), now=clock.now()
    )
    await audit_trail("api.feedback.create", org_id=item.addressed_org_id, target=f"feedback:{item.id}")
    return _detail(await service.view_item(session, actor=actor, item_id=item.id))


@router.get("/{item_id}", summary="One item with its replies and forwards", response_model=FeedbackOut, responses=_errors(401, 404))
async def get_feedback(item_id: ItemId, session: SessionDep, actor: CurrentActor) -> FeedbackOut:
    return _detail(await service.view_item(session, actor=actor, item_id=item_id))


@router.post(
    "/{item_id}/replies", summary="Answer the member (delivered with the reference)", status_code=status.HTTP_201_CREATED,
    response_model=ReplyOut, responses=_errors(401, 403, 404, 409, 422),
)
async def reply_to_feedback(
    item_id: ItemId, body: ReplyIn, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep
) -> ReplyOut:
    _, answer = await service.reply(session, actor=actor, item_id=item_id, content=service.Content(text=body.text), now=clock.now())
    await audit_trail("api.feedback.reply", org_id=answer.org_id, target=f"feedback:{item_id}")
    current = await session.get(Org, answer.org_id)
    return ReplyOut(
        id=answer.id, author_name=actor.member.full_name, org_name=current.name if current else "", text=answer.text,
        has_voice=False, voice_duration=None, created_at=answer.created_at,
    )


@router.post(
    "/{item_id}/forward", summary="Send the item to the committee one level up", response_model=FeedbackOut,
    responses=_errors(401, 403, 404, 409, 422),
)
async def forward_feedback(
    item_id: ItemId, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep, body: ForwardIn | None = None
) -> FeedbackOut:
    await service.forward(session, actor=actor, item_id=item_id, note=body.note if body else None, now=clock.now())
    view = await service.view_item(session, actor=actor, item_id=item_id)
    await audit_trail("api.feedback.forward", org_id=view.item.current_org_id, target=f"feedback:{item_id}")
    return _detail(view)


@router.post("/{item_id}/close", summary="Close the item", response_model=FeedbackOut, responses=_errors(401, 403, 404, 409))
async def close_feedback(item_id: ItemId, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> FeedbackOut:
    await service.close(session, actor=actor, item_id=item_id, now=clock.now())
    view = await service.view_item(session, actor=actor, item_id=item_id)
    await audit_trail("api.feedback.close", org_id=view.item.current_org_id, target=f"feedback:{item_id}")
    return _detail(view)
