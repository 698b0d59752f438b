"""Media links: signed, expiring, short; the listen page and its files over HTTP (httpx → FastAPI)."""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np
import pytest

from core.clock import FrozenClock
from core.media_links import MediaLinks, safari_audio_format
from tests.conftest import TEST_NOW
from voice.audio import Pcm
from voice.opus import encode_voice

SECRET = b"a-secret-key-for-media-links-0123456789"


def tone(seconds: float = 1.5, hz: float = 440.0) -> bytes:
    rate = 24_000
    t = np.arange(int(seconds * rate)) / rate
    return encode_voice(Pcm((0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32), rate)).data


@pytest.fixture
def links(tmp_path) -> MediaLinks:  # type: ignore[no-untyped-def]
    return MediaLinks(SECRET, "https://sotay.example.vn/", tmp_path / "media", dt.timedelta(hours=72), clock=FrozenClock(TEST_NOW))


def token_of(url: str) -> str:
    return url.rsplit("/m/", 1)[1]


def test_links_are_short_signed_and_deduplicated(links: MediaLinks) -> None:
    audio = tone()
    url = links.publish(kind="voice", data=audio, title="Nghị quyết 21", text="Tóm tắt")
    assert url.startswith("https://sotay.example.vn/m/")
    token = token_of(url)
    assert len(token) < 60 and re.fullmatch(r"[A-Za-z0-9._-]+", token)
    ref = links.open(token)
    assert ref is not None and (ref.kind, ref.title, ref.text) == ("voice", "Nghị quyết 21", "Tóm tắt")
    assert ref.path.read_bytes() == audio and ref.expires_at == TEST_NOW + dt.timedelta(hours=72)
    # The same content is stored once, whatever page shows it; the same page is the same link id.
    links.publish(kind="voice", data=audio, title="Khác", text="Khác")
    assert token_of(links.publish(kind="voice", data=audio, title="Nghị quyết 21", text="Tóm tắt")).split(".")[0] == ref.link_id
    assert len([p for p in (links.store_dir / "blobs").iterdir() if not p.name.startswith(".")]) == 1


def test_links_signed_before_a_key_rotation_open_until_they_expire(links: MediaLinks) -> None:
    token = token_of(links.publish(kind="document", data=b"%PDF-1.4 x", filename="nq.pdf", title="NQ", text=""))
    new_secret = b"the-next-secret-key-of-enough-length-01"
    rotating = MediaLinks(new_secret, links.public_url, links.store_dir, links.ttl, clock=links.clock, old_secrets=[SECRET])
    assert rotating.open(token) is not None  # signed with the old key, still valid
    fresh = token_of(rotating.publish(kind="document", data=b"%PDF-1.4 y", filename="b.pdf", title="B", text=""))
    assert links.open(fresh) is None  # new links are signed with the new key only
    after = MediaLinks(new_secret, links.public_url, links.store_dir, links.ttl, clock=links.clock)
    assert after.open(fresh) is not None and after.open(token) is None  # the old key dropped: old links end


def test_forged_tampered_and_expired_links_open_nothing(links: MediaLinks, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = token_of(links.publish(kind="document", data=b"%PDF-1.4 x", filename="nq.pdf", title="NQ", text=""))
    link_id, expiry, signature = token.split(".")
    later = links.token_for(link_id, expires_at=TEST_NOW + dt.timedelta(days=365))
    stretched = f"{link_id}.{later.split('.')[1]}.{signature}"  # a later expiry under the old signature
    flipped = f"{link_id}.{expiry}.{('A' if signature[0] != 'A' else 'B')}{signature[1:]}"
    other_key = MediaLinks(b"another-secret-key-of-enough-length-000", links.public_url, links.store_dir, links.ttl, clock=links.clock)
    for bad in (stretched, flipped, token_of(other_key.publish(kind="document", data=b"x", title="t", text="")), "", "../../etc", token + "x"):
        assert links.open(bad) is None and not links.expired(bad)
    assert links.open(later) is not None  # a genuine longer link (minted with the key) is fine
    links.clock.set(TEST_NOW + dt.timedelta(hours=72))  # type: ignore[attr-defined]
    assert links.open(token) is None and links.expired(token)


async def test_the_listen_page_plays_in_two_formats(api_client, runtime) -> None:  # type: ignore[no-untyped-def]
    import soundfile

    url = runtime.media_links.publish(kind="voice", data=tone(2.0), title="Nghị quyết số 21", text="Đoạn tóm tắt.\n\nĐoạn thứ hai <b>x</b>")
    path = "/m/" + token_of(url)
    page = await api_client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer" and "noindex" in page.headers["x-robots-tag"]
    body = page.text
    assert "<html lang='vi'>" in body and "Nghị quyết số 21" in body and "Đoạn thứ hai &lt;b&gt;x&lt;/b&gt;" in body
    safari = safari_audio_format()
    sources = re.findall(r"<source src='([^']+)' type='([^']+)'>", body)
    assert [s[1] for s in sources] == ["audio/ogg; codecs=opus", {"mp3": "audio/mpeg", "wav": "audio/wav"}[safari]]
    assert "http://" not in body.replace(url, "") and "https://" not in body  # every asset is local
    for src, _ in sources:
        answer = await api_client.get(f"/m/{src}")
        assert answer.status_code == 200, src
        samples, rate = soundfile.read(io.BytesIO(answer.content), dtype="float32")
        assert abs(len(samples) / rate - 2.0) < 0.2 and float(np.abs(samples).max()) > 0.1  # really the tone
    # Safari asks for byte ranges.
    ranged = await api_client.get(f"/m/{sources[1][0]}", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100 and ranged.headers["content-range"].startswith("bytes 0-99/")
    # Converted once: the cached variant is served again.
    assert len(list((runtime.settings.data_dir / "media" / "blobs").glob(f"*.{safari}"))) == 1


async def test_documents_download_under_their_name_and_photos_show_inline(api_client, runtime) -> None:  # type: ignore[no-untyped-def]
    doc = token_of(runtime.media_links.publish(kind="document", data=b"%PDF-1.4 demo", filename="Biên bản tháng 11.pdf",
                                               mime_type="application/pdf", title="Biên bản", text="Biên bản họp"))
    page = await api_client.get(f"/m/{doc}")
    assert "Tải tài liệu" in page.text and f"href='{doc}/file'" in page.text
    got = await api_client.get(f"/m/{doc}/file")
    assert got.status_code == 200 and got.content == b"%PDF-1.4 demo" and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"Bien ban thang 11.pdf\"; filename*=utf-8''Bi%C3%AAn%20b%E1%BA%A3n%20th%C3%A1ng%2011.pdf"
    )
    assert (await api_client.get(f"/m/{doc}/audio.ogg")).status_code == 404  # a document has no audio
    photo = token_of(runtime.media_links.publish(kind="photo", data=b"\xff\xd8\xff photo", mime_type="image/jpeg", title="Ảnh", text=""))
    assert f"<img class='photo' src='{photo}/file'" in (await api_client.get(f"/m/{photo}")).text
    shown = await api_client.get(f"/m/{photo}/file")
    assert shown.headers["content-type"] == "image/jpeg" and "content-disposition" not in shown.headers


async def test_forged_and_expired_links_get_a_polite_page_and_nothing_else(api_client, runtime, clock) -> None:  # type: ignore[no-untyped-def]
    token = token_of(runtime.media_links.publish(kind="voice", data=tone(0.5), title="Bí mật", text="Nội dung riêng"))
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in (f"/m/{forged}", f"/m/{forged}/audio.ogg", f"/m/{forged}/file", "/m/garbage", "/m/garbage/file"):
        answer = await api_client.get(path)
        assert answer.status_code == 404 and "Không mở được" in answer.text and "Bí mật" not in answer.text, path
    clock.set(clock.now() + dt.timedelta(hours=runtime.settings.media_link_hours, seconds=1))
    for path in (f"/m/{token}", f"/m/{token}/audio.ogg", f"/m/{token}/file"):
        answer = await api_client.get(path)
        assert answer.status_code == 410 and "hết hạn" in answer.text and "Bí mật" not in answer.text, path
