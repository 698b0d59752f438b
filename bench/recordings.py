"""Recordings and the `auto` engine: what a person's recording costs to take in, and how long a
member waits when Google is refused or slow.

    python -m bench.recordings [--seconds 120]

1. A recording of N seconds (espeak reading a long text stands in for the person) as a Telegram
   voice note (OGG/Opus: kept as it is) and as an MP3 upload (decoded and re-encoded to OGG/Opus):
   time of `prepare_recording`, sizes.
2. The browser's MP3 of that voice note (the listen page's conversion for iPhones): time, size.
3. `auto` with Google refused (a closed local port) and slow (a local server that answers after
   6 s, past the 4 s timeout): time until espeak-ng has spoken a sentence, first request and next (remembered).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import socket
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import soundfile

from core.recordings.audio import prepare_recording
from voice.audio import concat
from voice.engines import EspeakSpeaker, FallbackSpeaker, HttpRequest, make_speaker, requests_post
from voice.opus import encode_voice

SENTENCE = "Chi bộ thôn Khe Gầy họp vào ngày mùng bốn hàng tháng, các đồng chí đảng viên tham gia đầy đủ."


class Slow(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        time.sleep(6)  # beyond auto's 4 s timeout
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def towards(port: int):  # type: ignore[no-untyped-def]
    post = requests_post()
    return lambda request, timeout: post(HttpRequest(f"http://127.0.0.1:{port}/x", request.body, request.headers), timeout)


async def fallback_wait(port: int) -> tuple[float, float]:
    speaker = make_speaker("auto", http=towards(port))
    assert isinstance(speaker, FallbackSpeaker)
    times = []
    for _ in range(2):
        started = time.perf_counter()
        await speaker.synthesize(SENTENCE, voice="vi", speed="normal")
        times.append(time.perf_counter() - started)
    return times[0], times[1]


async def main(seconds: float) -> dict[str, float]:
    espeak = EspeakSpeaker()
    one = await espeak.synthesize(SENTENCE, voice="vi", speed="normal")
    pcm = concat([one] * max(1, int(seconds / one.seconds)), [0.4] * max(1, int(seconds / one.seconds)))
    voice_note = encode_voice(pcm).data
    buffer = io.BytesIO()
    soundfile.write(buffer, pcm.samples, pcm.sample_rate, format="MP3", subtype="MPEG_LAYER_III")
    mp3 = buffer.getvalue()
    figures: dict[str, float] = {"recording_seconds": round(pcm.seconds, 1), "voice_note_kb": round(len(voice_note) / 1024, 1),
                                 "mp3_upload_kb": round(len(mp3) / 1024, 1)}
    started = time.perf_counter()
    prepare_recording(voice_note)
    figures["prepare_voice_note_ms"] = round((time.perf_counter() - started) * 1000, 2)
    started = time.perf_counter()
    prepared = prepare_recording(mp3)
    figures["prepare_mp3_upload_s"] = round(time.perf_counter() - started, 3)
    figures["prepared_kb"] = round(len(prepared.data) / 1024, 1)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "note.ogg"
        source.write_bytes(voice_note)
        started = time.perf_counter()
        samples, rate = soundfile.read(str(source), dtype="float32", always_2d=True)
        out = io.BytesIO()
        soundfile.write(out, samples, rate, format="MP3", subtype="MPEG_LAYER_III")
        figures["browser_mp3_s"] = round(time.perf_counter() - started, 3)
        figures["browser_mp3_kb"] = round(len(out.getvalue()) / 1024, 1)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    first, second = await fallback_wait(closed)
    figures["refused_first_s"], figures["refused_next_s"] = round(first, 3), round(second, 3)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        first, second = await fallback_wait(server.server_port)
    finally:
        server.shutdown()
    figures["slow_first_s"], figures["slow_next_s"] = round(first, 3), round(second, 3)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120)
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments.seconds))))
