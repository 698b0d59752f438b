"""`auto`, production's default engine, against a local HTTP server replaying Google's recorded
answer (tests/unit/voice/fixtures/gtts_batchexecute.txt): good, refused, slow, 429. No real
network: the production HTTP layer (requests, TLS-less here) is pointed at 127.0.0.1.

Each time the fallback (espeak-ng) must speak, the failure is remembered for `recheck_after`, and
the renderer serves what the fallback said before from the cache while Google rests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from voice.engines import EngineConfig, FallbackSpeaker, HttpPost, HttpReply, HttpRequest, make_speaker, requests_post
from voice.service import VoiceRenderer

FIXTURE = Path(__file__).parent / "fixtures" / "gtts_batchexecute.txt"
TEXT = "Xin chào các đồng chí đảng viên."


class Google(BaseHTTPRequestHandler):
    """Answers as scripted by the server's `mode`: good | slow | 429."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        server = self.server
        server.hits += 1  # type: ignore[attr-defined]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = server.mode  # type: ignore[attr-defined]
        if mode == "slow":
            time.sleep(1.5)
        if mode == "429":
            body, status = b"<html>Too Many Requests</html>", 429
        else:
            body, status = FIXTURE.read_bytes(), 200
        try:
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the slow case: the client gave up already
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def google() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Google)
    server.mode, server.hits = "good", 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def towards(port: int) -> HttpPost:
    """The production HTTP layer, with Google's address replaced by the local server's."""
    post = requests_post()

    def send(request: HttpRequest, timeout: float) -> HttpReply:
        path = urlsplit(request.url)
        local = f"http://127.0.0.1:{port}{path.path}?{path.query}"
        return post(HttpRequest(local, request.body, request.headers), timeout)

    return send


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once closed: connection refused


def auto(http: HttpPost) -> FallbackSpeaker:
    speaker = make_speaker("auto", http=http, timeout=0.5, recheck_after=300)
    assert isinstance(speaker, FallbackSpeaker)
    return speaker


async def test_google_reachable_speaks_with_google(google) -> None:
    speaker = auto(towards(google.server_port))
    pcm = await speaker.synthesize(TEXT, voice="vi", speed="normal")
    assert pcm.engine == "gtts" and pcm.seconds > 0.5 and google.hits == 1 and speaker.fallbacks == 0


async def test_connection_refused_speaks_with_espeak_and_is_remembered() -> None:
    calls: list[str] = []
    post = towards(closed_port())

    def counting(request: HttpRequest, timeout: float) -> HttpReply:
        calls.append(request.url)
        return post(request, timeout)

    speaker = auto(counting)
    first = await speaker.synthesize(TEXT, voice="vi", speed="normal")
    second = await speaker.synthesize("Họp chi bộ.", voice="vi", speed="normal")
    assert first.engine == second.engine == "espeak"
    assert len(calls) == 1  # the second request did not wait for Google again
    assert speaker.speaking_engine() == "espeak"


async def test_slow_google_is_abandoned_after_the_short_timeout(google) -> None:
    google.mode = "slow"
    speaker = auto(towards(google.server_port))
    started = time.monotonic()
    pcm = await speaker.synthesize(TEXT, voice="vi", speed="normal")
    waited = time.monotonic() - started
    assert pcm.engine == "espeak" and google.hits == 1
    print(f"slow Google: espeak spoke after {waited:.2f} s (timeout 0.5 s)")


async def test_429_is_retried_once_then_espeak_speaks(google, monkeypatch) -> None:
    google.mode = "429"
    speaker = auto(towards(google.server_port))
    pcm = await speaker.synthesize(TEXT, voice="vi", speed="normal")
    assert pcm.engine == "espeak"
    assert google.hits == 2  # one retry (Retry-After: 0), then the fallback, not a long back-off
    google.mode = "good"
    assert (await speaker.synthesize(TEXT, voice="vi", speed="normal")).engine == "espeak"  # still resting
    assert google.hits == 2


async def test_the_cache_serves_the_fallback_while_google_rests_and_google_again_when_back(google, tmp_path) -> None:
    clock = [1000.0]
    google.mode = "429"
    speaker = make_speaker("auto", http=towards(google.server_port), timeout=0.5, recheck_after=300)
    assert isinstance(speaker, FallbackSpeaker)
    speaker.clock = lambda: clock[0]
    renderer = VoiceRenderer(speaker, tmp_path / "audio")
    first = await renderer.render(TEXT)
    assert first[0].engine == "espeak" and renderer.syntheses == 1
    again = await renderer.render(TEXT)  # Google resting: the fallback's cached note, no new synthesis
    assert [n.key for n in again] == [n.key for n in first] and renderer.syntheses == 1 and renderer.cache_hits == 1
    clock[0] += 301
    google.mode = "good"
    better = await renderer.render(TEXT)  # Google back: its voice, under its own key (its own file ids)
    assert better[0].engine == "gtts" and better[0].key != first[0].key and renderer.syntheses == 2
    assert (await renderer.render(TEXT))[0].key == better[0].key and renderer.syntheses == 2


def test_the_deployment_config_builds_auto_with_its_timeout() -> None:
    speaker = EngineConfig("auto", timeout=2.5, recheck_after=120).speaker(http=towards(closed_port()))
    assert isinstance(speaker, FallbackSpeaker)
    assert speaker.retry_primary_after == 120 and speaker.primary.timeout == 2.5  # type: ignore[attr-defined]
