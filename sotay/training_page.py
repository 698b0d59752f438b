"""The training ground's routes (`sotay demo` only): a phone joins, its lesson, the trainer's page.

Thin: the room (sotay.training.Room) decides; these routes read the request and answer JSON.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Cookie, FastAPI, HTTPException, Query, Request
from fastapi.responses import RedirectResponse

from sotay.demo_page import chat_page_url, sandbox_address
from sotay.training import zalo_id

COOKIE = "sotay_trainee"


def join_url(request: Request) -> str:
    return str(request.url_for("training_join"))


def qr_svg(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=10, border=2, xmldecl=False)
    return out.getvalue().decode()


def mount_training(app: FastAPI, room: Any, *, sandbox_url: str, sandbox_port: int | None) -> None:
    router = APIRouter(prefix="/training", include_in_schema=False)

    def trainer(key: str) -> None:
        if key != room.key:
            raise HTTPException(403, "Cần đường dẫn của hướng dẫn viên (in ra khi chạy sotay demo).")

    @router.get("")
    async def trainer_page(request: Request, key: Annotated[str, Query()] = "") -> RedirectResponse:
        trainer(key)
        api = sandbox_address(request, sandbox_url, sandbox_port)
        return RedirectResponse(f"/demo/trainer.html?key={key}&api={api}")

    @router.get("/join", name="training_join")
    async def join(request: Request, track: str | None = None, platform: str | None = None,
                   remembered: Annotated[str | None, Cookie(alias=COOKIE)] = None) -> RedirectResponse:
        known = int(remembered) if remembered and remembered.isdigit() else None
        trainee = await room.join(track=track, user_id=known, platform=platform)
        phone = {"zalo": zalo_id(trainee.user_id)} if trainee.platform == "zalo" else {}
        response = RedirectResponse(chat_page_url(request, sandbox_url, sandbox_port, user=str(trainee.user_id), trainee="1", **phone))
        response.set_cookie(COOKIE, str(trainee.user_id), max_age=12 * 3600, samesite="lax")
        return response

    @router.get("/api/me")
    async def my_lesson(user: int, acted: bool = False) -> dict[str, Any]:
        return await room.status(user, acted=acted)

    @router.get("/api/room")
    async def the_room(request: Request, key: str = "") -> dict[str, Any]:
        trainer(key)
        url = join_url(request)
        return room.progress() | {"join_url": url, "qr_svg": qr_svg(url)}

    @router.post("/api/next")
    async def next_lesson(key: str = "", track: str = "member") -> dict[str, Any]:
        trainer(key)
        return {"unlocked": room.open_next(track)}

    @router.post("/api/track")
    async def choose_track(key: str = "", track: str = "member") -> dict[str, Any]:
        trainer(key)
        room.set_track(track)
        return {"track": room.track}

    @router.post("/api/platform")
    async def choose_platform(key: str = "", platform: str = "telegram") -> dict[str, Any]:
        trainer(key)
        room.set_platform(platform)
        return {"platform": room.platform}

    @router.post("/api/reset")
    async def reset(key: str = "") -> dict[str, Any]:
        trainer(key)
        return {"group": await room.reset()}

    app.include_router(router)
