"""The pages behind media links (core.media_links): a big ▶ player with the text below it, a
photo, or a document to download — what a member on Zalo opens instead of a voice note or a file.

No login: the signed, expiring token is the permission. Mobile-first, everything served from here
(no CDN, works on a closed network), no detail about why a link does not open.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.downloads import download_headers
from core import texts
from core.clock import local_tz
from core.media_links import AUDIO_MIME, MediaLinks, MediaRef, safari_audio_format, safe_filename

router = APIRouter(include_in_schema=False)

# The token is the key: never sent onwards, never cached by a shared proxy, never indexed.
PRIVATE = {
    "Cache-Control": "private, max-age=300",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
PAGE_HEADERS = {
    **PRIVATE,
    "Content-Security-Policy": (
        "default-src 'none'; media-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}
_EXTENSIONS = {"voice": ".ogg", "audio": ".ogg", "photo": ".jpg", "document": ""}


def _links(request: Request) -> MediaLinks:
    return request.app.state.runtime.media_links


def _refusal(links: MediaLinks, token: str) -> HTMLResponse:
    if links.expired(token):
        return _page(texts.media.EXPIRED_TITLE, f"<p class='notice'>{html.escape(texts.media.EXPIRED)}</p>", status=410)
    return _page(texts.media.NOT_FOUND_TITLE, f"<p class='notice'>{html.escape(texts.media.NOT_FOUND)}</p>", status=404)


@router.get("/m/{token}", response_class=HTMLResponse)
async def media_page(token: str, request: Request) -> Response:
    links = _links(request)
    ref = links.open(token)
    if ref is None:
        return _refusal(links, token)
    parts: list[str] = []
    if ref.is_audio:
        safari = safari_audio_format()
        parts.append(
            f"<button id='play' class='play' type='button' aria-label='{html.escape(texts.media.PLAY_LABEL)}'>"
            f"<span id='icon'>{texts.media.PLAY}</span></button>"
            f"<p class='hint'>{html.escape(texts.media.PLAY_HINT)}</p>"
            "<audio id='player' controls preload='metadata'>"
            f"<source src='{token}/audio.ogg' type='audio/ogg; codecs=opus'>"
            f"<source src='{token}/audio.{safari}' type='{AUDIO_MIME[safari]}'>"
            f"{html.escape(texts.media.NO_AUDIO_SUPPORT)}</audio>"
        )
    elif ref.kind == "photo":
        parts.append(f"<img class='photo' src='{token}/file' alt='{html.escape(ref.title or texts.media.PHOTO_ALT)}'>")
    if ref.text:
        parts.append(f"<div class='text'>{_paragraphs(ref.text)}</div>")
    if ref.kind == "document":
        parts.append(f"<a class='download' href='{token}/file'>{html.escape(texts.media.DOWNLOAD)}</a>"
                     f"<p class='filename'>{html.escape(_download_name(ref))}</p>")
    until = ref.expires_at.astimezone(local_tz()).strftime("%H:%M ngày %d/%m/%Y")
    parts.append(f"<p class='expiry'>{html.escape(texts.media.VALID_UNTIL.format(until=until))}</p>")
    return _page(ref.title or texts.media.PAGE_TITLE, "".join(parts), script=_PLAYER_SCRIPT if ref.is_audio else "")


@router.api_route("/m/{token}/audio.{fmt}", methods=["GET", "HEAD"])
async def media_audio(token: str, fmt: str, request: Request) -> Response:
    """The audio as OGG/Opus, MP3 or WAV; byte ranges honoured (Safari asks for them)."""
    links = _links(request)
    ref = links.open(token)
    if ref is None or fmt not in AUDIO_MIME or not ref.is_audio:
        return _refusal(links, token)
    path = await run_in_threadpool(links.audio_file, ref, fmt)  # type: ignore[arg-type]
    if path is None:
        return _refusal(links, "")
    return FileResponse(path, media_type=AUDIO_MIME[fmt], headers=PRIVATE)


@router.api_route("/m/{token}/file", methods=["GET", "HEAD"])
async def media_file(token: str, request: Request) -> Response:
    """The original: a document as an attachment under its own name; a photo or audio inline."""
    links = _links(request)
    ref = links.open(token)
    if ref is None:
        return _refusal(links, token)
    media_type = ref.mime_type or _guess_type(ref)
    if ref.kind == "photo" and media_type.startswith("image/"):
        return FileResponse(ref.path, media_type=media_type, headers=PRIVATE)
    return FileResponse(ref.path, media_type=media_type, headers={**PRIVATE, **download_headers(_download_name(ref))})


def _download_name(ref: MediaRef) -> str:
    fallback = "tai-lieu" + (Path(ref.filename or "").suffix or _EXTENSIONS.get(ref.kind, ""))
    return safe_filename(ref.filename, fallback)


def _guess_type(ref: MediaRef) -> str:
    import mimetypes

    guessed, _ = mimetypes.guess_type(ref.filename or "")
    if guessed:
        return guessed
    return {"voice": "audio/ogg", "audio": "audio/ogg", "photo": "image/jpeg"}.get(ref.kind, "application/octet-stream")


def _paragraphs(text: str) -> str:
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return "".join(f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in blocks)


def _page(title: str, body: str, *, status: int = 200, script: str = "") -> HTMLResponse:
    page = (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<link rel='icon' href='data:,'>"  # no /favicon.ico request: a 404 a phone's browser would log
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        f"<p class='brand'>{html.escape(texts.media.PAGE_TITLE)}</p><h1>{html.escape(title)}</h1>{body}</main>"
        f"{script}</body></html>"
    )
    return HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)


_STYLE = """
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#fffaf3;color:#1d1d1d;font-size:20px;line-height:1.6}
main{max-width:40rem;margin:0 auto;padding:1.25rem 1rem 3rem}
.brand{color:#b71c1c;font-weight:700;margin:0 0 .25rem;font-size:1rem}
h1{font-size:1.5rem;line-height:1.3;margin:.25rem 0 1.25rem}
.play{display:block;width:9rem;height:9rem;margin:1rem auto .5rem;border:0;border-radius:50%;
background:#c62828;color:#fff;font-size:4rem;line-height:1;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.play:active{transform:scale(.97)}
.hint{text-align:center;color:#555;font-size:1rem;margin:.25rem 0 1rem}
audio{display:block;width:100%;margin:0 0 1.5rem}
.text{font-size:1.3rem;line-height:1.7}
.text p{margin:0 0 1rem}
.photo{display:block;max-width:100%;height:auto;margin:0 auto 1.25rem;border-radius:.5rem}
.download{display:block;text-align:center;background:#1565c0;color:#fff;text-decoration:none;
padding:1rem;border-radius:.75rem;font-size:1.3rem;font-weight:700;margin:1.5rem 0 .5rem}
.filename{text-align:center;color:#555;font-size:1rem;word-break:break-word}
.notice{font-size:1.3rem}
.expiry{color:#777;font-size:.9rem;margin-top:2rem}
"""

_PLAYER_SCRIPT = (
    "<script>(function(){var a=document.getElementById('player'),b=document.getElementById('play'),"
    "i=document.getElementById('icon');"
    "b.addEventListener('click',function(){if(a.paused){a.play();}else{a.pause();}});"
    "a.addEventListener('play',function(){i.textContent='❚❚';b.setAttribute('aria-label',"
    + repr(texts.media.PAUSE_LABEL)
    + ");});"
    "var r=function(){i.textContent='▶';b.setAttribute('aria-label',"
    + repr(texts.media.PLAY_LABEL)
    + ");};a.addEventListener('pause',r);a.addEventListener('ended',r);})();</script>"
)
