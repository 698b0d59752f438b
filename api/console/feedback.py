"""The góp ý inbox: what members sent to the levels this person leads, each item with its replies
and forwards, and the actions core allows (answer — delivered to the member through the outbox on
their messenger —, forward one level up, close). Every rule is `core.feedback.service`'s."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console.desk import back, record
from api.console.deps import ConsoleUser, CsrfChecked
from api.console.pages import render
from api.deps import ClockDep, SessionDep
from core import texts
from core.feedback import render as words
from core.feedback import service
from core.orgs import management

router = APIRouter(prefix="/feedback", include_in_schema=False)
ItemId = Annotated[int, Path(ge=1, le=management.MAX_ID)]
PAGE_SIZE = 20
OK = {"replied", "forwarded", "closed"}


@router.get("", name="console_feedback")
async def inbox(request: Request, user: ConsoleUser, session: SessionDep, waiting: bool = False,
                page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    found = await service.list_items(session, actor=user.actor, scope="inbox", waiting_only=waiting,
                                     offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    rows = [{"summary": s, "excerpt": words.shorten(s.item.text, 120) if s.item.text else ""} for s in found.items]
    return render(request, "feedback.html", user, nav="feedback", rows=rows, found=found, waiting=waiting, page=page,
                  kinds=texts.feedback.KINDS, states=texts.feedback.STATES)


@router.get("/{item_id}", name="console_feedback_item")
async def item_page(request: Request, item_id: ItemId, user: ConsoleUser, session: SessionDep,
                    ok: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
    view = await service.view_item(session, actor=user.actor, item_id=item_id)
    return render(request, "feedback_item.html", user, nav="feedback", view=view, kind=texts.feedback.KINDS[view.item.kind.value],
                  states=texts.feedback.STATES, ok=ok if ok in OK else None, reply_limit=service.MAX_REPLY_CHARS,
                  note_limit=service.MAX_NOTE_CHARS)


def _item_path(item_id: int, ok: str) -> str:
    return f"/console/feedback/{item_id}?ok={ok}"


@router.post("/{item_id}/reply", name="console_feedback_reply")
async def reply(item_id: ItemId, user: CsrfChecked, session: SessionDep, clock: ClockDep,
                text: Annotated[str, Form(max_length=100_000)] = "") -> RedirectResponse:
    _, answer = await service.reply(session, actor=user.actor, item_id=item_id, content=service.Content(text=text), now=clock.now())
    await record(session, user, "console.feedback.reply", org_id=answer.org_id, target=f"feedback:{item_id}", now=clock.now())
    return back(_item_path(item_id, "replied"))


@router.post("/{item_id}/forward", name="console_feedback_forward")
async def forward(item_id: ItemId, user: CsrfChecked, session: SessionDep, clock: ClockDep,
                  note: Annotated[str, Form(max_length=100_000)] = "") -> RedirectResponse:
    item, _ = await service.forward(session, actor=user.actor, item_id=item_id, note=note or None, now=clock.now())
    await record(session, user, "console.feedback.forward", org_id=item.current_org_id, target=f"feedback:{item_id}", now=clock.now())
    return back(_item_path(item_id, "forwarded"))


@router.post("/{item_id}/close", name="console_feedback_close")
async def close(item_id: ItemId, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> RedirectResponse:
    item = await service.close(session, actor=user.actor, item_id=item_id, now=clock.now())
    await record(session, user, "console.feedback.close", org_id=item.current_org_id, target=f"feedback:{item_id}", now=clock.now())
    return back(_item_path(item_id, "closed"))
