"""Speech engines: real espeak-ng synthesis, gTTS against a recorded Google response, fallback."""

import json
import sys
import textwrap
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import requests

from voice.audio import Pcm
from voice.engines import (
    GTTS_MAX_CHARS,
    EspeakSpeaker,
    FallbackSpeaker,
    GttsSpeaker,
    HttpReply,
    HttpRequest,
    SpeechError,
    make_speaker,
    parse_gtts_response,
    split_for_gtts,
)

FIXTURE = Path(__file__).parent / "fixtures" / "gtts_batchexecute.txt"
GREETING = "Xin chào các đồng chí đảng viên."


def loudness(pcm: Pcm) -> float:
    return float(np.sqrt(np.mean(pcm.samples.astype(np.float64) ** 2)))


# ---------------------------------------------------------------- espeak-ng


@pytest.mark.parametrize("voice", ["vi", "vi-vn-x-central", "vi-vn-x-south"])
async def test_espeak_speaks_each_vietnamese_voice(voice: str) -> None:
    pcm = await EspeakSpeaker().synthesize(GREETING, voice=voice, speed="normal")
    assert pcm.engine == "espeak" and pcm.sample_rate == 22050 and pcm.samples.dtype == np.float32
    assert 1.0 < pcm.seconds < 6.0
    assert loudness(pcm) > 0.02  # speech, not silence
    assert float(np.abs(pcm.samples).max()) <= 1.0


async def test_the_three_voices_really_differ() -> None:
    speaker = EspeakSpeaker()
    north, central, south = [await speaker.synthesize(GREETING, voice=v, speed="normal")
                             for v in ("vi", "vi-vn-x-central", "vi-vn-x-south")]
    assert len({len(north.samples), len(central.samples), len(south.samples)}) == 3


async def test_slow_speed_is_slower_and_unknown_voices_and_speeds_are_refused() -> None:
    speaker = EspeakSpeaker()
    text = "Nghị quyết về xây dựng tổ chức cơ sở đảng trong sạch, vững mạnh."
    normal = await speaker.synthesize(text, voice="vi", speed="normal")
    slow = await speaker.synthesize(text, voice="vi", speed="slow")
    assert slow.seconds > normal.seconds * 1.15
    with pytest.raises(SpeechError, match="voice"):
        await speaker.synthesize(text, voice="en", speed="normal")
    with pytest.raises(SpeechError, match="speed"):
        await speaker.synthesize(text, voice="vi", speed="fast")


FAKE_ESPEAK = textwrap.dedent('''\
    #!{python}
    """Stands in for the espeak-ng binary: records how it was called, writes a tone as WAV."""
    import sys, wave, struct, math
    args = sys.argv[1:]
    assert sys.stdin.read() == "", "text must not come on stdin"
    text = open(args[args.index("-f") + 1], encoding="utf-8").read()
    open(r"{log}", "w", encoding="utf-8").write(" ".join(args[:args.index("-f")]) + "\\n" + text)
    with wave.open(args[args.index("-w") + 1], "wb") as out:
        out.setnchannels(1); out.setsampwidth(2); out.setframerate(22050)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 5))) for i in range(22050)))
''')


async def test_espeak_binary_gets_the_text_in_a_file_never_on_stdin(tmp_path) -> None:
    log = tmp_path / "call.txt"
    binary = tmp_path / "espeak-ng"
    binary.write_text(FAKE_ESPEAK.format(python=sys.executable, log=log), encoding="utf-8")
    binary.chmod(0o755)
    text = "Đồng chí Bí thư Chi bộ thôn Nậm Nhừ: ủy ban, Ưu tiên, giữ rừng đầu nguồn. " * 80  # > a 4 KiB stdin buffer
    pcm = await EspeakSpeaker(binary=str(binary), use_library=False).synthesize(text, voice="vi-vn-x-south", speed="slow")
    options, spoken = log.read_text(encoding="utf-8").split("\n", 1)
    assert spoken == text  # every multi-byte character intact
    assert options.split()[:4] == ["-v", "vi-vn-x-south", "-s", "115"]
    assert pcm.engine == "espeak" and pcm.seconds == pytest.approx(1.0)


async def test_no_espeak_at_all_is_a_speech_error() -> None:
    with pytest.raises(SpeechError, match="not available"):
        await EspeakSpeaker(use_library=False, search_path=False).synthesize("Xin chào", voice="vi", speed="normal")


def test_a_missing_library_falls_back_to_the_binary_found_on_path(tmp_path, monkeypatch) -> None:
    """binary=None means "the espeak-ng on PATH": a fake one on a PATH of our own, never the machine's."""
    binary = tmp_path / "espeak-ng"
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert EspeakSpeaker().binary == str(binary)
    assert EspeakSpeaker(search_path=False).binary is None
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert EspeakSpeaker().binary is None


# ---------------------------------------------------------------- gTTS


class RecordedGoogle:
    """An HTTP layer that answers every request with the recorded batchexecute response, or with
    the scripted statuses first."""

    def __init__(self, statuses: list[int] | None = None, headers: dict[str, str] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.headers = headers or {}
        self.requests: list[HttpRequest] = []
        self.timeouts: list[float] = []

    def __call__(self, request: HttpRequest, timeout: float) -> HttpReply:
        self.requests.append(request)
        self.timeouts.append(timeout)
        if self.statuses:
            return HttpReply(self.statuses.pop(0), b"<html>Too Many Requests</html>", self.headers)
        return HttpReply(200, FIXTURE.read_bytes(), {"Content-Type": "application/json; charset=utf-8"})


def sent_rpc(request: HttpRequest) -> list:
    """The RPC parameters inside a batchexecute request body, f.req=<url-encoded JSON>:
    [text, language, slow (true) or normal (null), "null"]."""
    (rpc_id, parameters, _, _), = json.loads(urllib.parse.unquote(request.body).removeprefix("f.req=").rstrip("&"))[0]
    assert rpc_id == "jQ1olc"
    return json.loads(parameters)


async def test_gtts_path_against_a_recorded_response() -> None:
    google = RecordedGoogle()
    text = ("Chi bộ tổ chức học tập, quán triệt nghị quyết cho toàn thể đảng viên và quần chúng ưu tú trong thôn. "
            "Mỗi đảng viên viết bản thu hoạch. Đồng chí Bí thư chủ trì.")
    pcm = await GttsSpeaker(google, timeout=7.5).synthesize(text, voice="vi", speed="slow")
    chunks = split_for_gtts(text)
    assert len(google.requests) == len(chunks) >= 2 and google.timeouts == [7.5] * len(chunks)
    for request, chunk in zip(google.requests, chunks, strict=True):
        assert request.url == "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
        assert sent_rpc(request)[:3] == [chunk, "vi", True]  # the chunk, in Vietnamese, slowly
        assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    one_answer = parse_gtts_response(FIXTURE.read_bytes())
    assert one_answer[:3] == b"\xff\xf3\x84" or one_answer[:2] in (b"\xff\xfb", b"\xff\xf3")  # MPEG audio frames
    assert pcm.engine == "gtts" and pcm.sample_rate == 24_000
    assert len(chunks) * 1.0 < pcm.seconds < len(chunks) * 2.0  # each answer ~1.4 s of speech, joined with pauses
    assert loudness(pcm) > 0.02


async def test_normal_speed_is_not_slow_for_google() -> None:
    google = RecordedGoogle()
    await GttsSpeaker(google).synthesize("Xin chào.", voice="vi", speed="normal")
    assert sent_rpc(google.requests[0])[:3] == ["Xin chào.", "vi", None]


def test_our_parser_reads_the_recording_exactly_as_gtts_does(monkeypatch) -> None:
    from gtts import gTTS

    def send(self, request, **kwargs):  # gTTS's own HTTP call, answered from the recording
        response = requests.Response()
        response.status_code = 200
        response._content = FIXTURE.read_bytes()
        response._content_consumed = True  # the whole body is here, as if read from the socket
        response.request = request
        return response

    monkeypatch.setattr(requests.Session, "send", send)
    from_gtts = b"".join(gTTS("Xin chào đồng chí.", lang="vi").stream())
    assert from_gtts == parse_gtts_response(FIXTURE.read_bytes()) and len(from_gtts) > 1000


async def test_gtts_backs_off_on_429_and_honours_retry_after() -> None:
    google = RecordedGoogle(statuses=[429, 503])
    slept: list[float] = []
    pcm = await GttsSpeaker(google, sleep=slept.append, backoff=0.5).synthesize("Xin chào.", voice="vi", speed="normal")
    assert pcm.seconds > 0.5 and len(google.requests) == 3
    assert len(slept) == 2 and 0.25 <= slept[0] <= 0.75 and 0.5 <= slept[1] <= 1.5  # exponential, with jitter

    google = RecordedGoogle(statuses=[429], headers={"Retry-After": "7"})
    slept.clear()
    await GttsSpeaker(google, sleep=slept.append).synthesize("Xin chào.", voice="vi", speed="normal")
    assert slept == [7.0]


async def test_gtts_gives_up_after_its_retries_and_at_once_on_other_errors() -> None:
    google = RecordedGoogle(statuses=[429] * 10)
    with pytest.raises(SpeechError, match="429"):
        await GttsSpeaker(google, sleep=lambda _: None, retries=3).synthesize("Xin chào.", voice="vi", speed="normal")
    assert len(google.requests) == 4

    google = RecordedGoogle(statuses=[403])
    with pytest.raises(SpeechError, match="403"):
        await GttsSpeaker(google, sleep=lambda _: None).synthesize("Xin chào.", voice="vi", speed="normal")
    assert len(google.requests) == 1

    def garbage(request: HttpRequest, timeout: float) -> HttpReply:
        return HttpReply(200, b")]}'\n\n[[\"wrb.fr\",\"other\"]]\n")

    with pytest.raises(SpeechError, match="no jQ1olc"):
        await GttsSpeaker(garbage).synthesize("Xin chào.", voice="vi", speed="normal")


def offline(request: HttpRequest, timeout: float) -> HttpReply:
    raise requests.ConnectionError("Failed to resolve 'translate.google.com'")


async def test_gtts_offline_is_a_speech_error() -> None:
    with pytest.raises(SpeechError, match="unreachable"):
        await GttsSpeaker(offline).synthesize("Xin chào", voice="vi", speed="normal")


async def test_the_default_http_layer_fails_fast_offline(monkeypatch) -> None:
    def refuse(self, request, **kwargs):
        assert kwargs["verify"] not in (False, None)  # unlike gTTS's own call, TLS is verified (True or a CA bundle)
        assert kwargs["timeout"] == 10.0
        raise requests.ConnectionError("no route to Google")

    monkeypatch.setattr(requests.Session, "send", refuse)
    with pytest.raises(SpeechError, match="unreachable"):
        await make_speaker("gtts").synthesize("Xin chào", voice="vi", speed="normal")


# ---------------------------------------------------------------- fallback


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_fallback_to_espeak_when_gtts_fails_and_primary_rests_a_while() -> None:
    calls: list[str] = []

    def failing(request: HttpRequest, timeout: float) -> HttpReply:
        calls.append(request.url)
        return offline(request, timeout)

    clock = Clock()
    speaker = FallbackSpeaker(GttsSpeaker(failing), EspeakSpeaker(), retry_primary_after=60, clock=clock)
    assert speaker.name == "gtts"
    pcm = await speaker.synthesize("Xin chào đồng chí", voice="vi", speed="normal")
    assert pcm.engine == "espeak" and pcm.seconds > 0.5 and loudness(pcm) > 0.02
    assert len(calls) == 1 and speaker.fallbacks == 1

    await speaker.synthesize("Họp chi bộ", voice="vi", speed="normal")
    assert len(calls) == 1  # resting: no new timeout to pay
    clock.now += 61
    await speaker.synthesize("Họp chi bộ", voice="vi", speed="normal")
    assert len(calls) == 2 and speaker.fallbacks == 3


async def test_fallback_uses_the_primary_when_it_works() -> None:
    speaker = FallbackSpeaker(GttsSpeaker(RecordedGoogle()), EspeakSpeaker())
    pcm = await speaker.synthesize("Xin chào.", voice="vi", speed="normal")
    assert pcm.engine == "gtts" and speaker.fallbacks == 0


def test_make_speaker_per_deployment() -> None:
    assert isinstance(make_speaker("espeak"), EspeakSpeaker)
    assert isinstance(make_speaker("gtts"), GttsSpeaker)
    auto = make_speaker("auto", http=RecordedGoogle())
    assert isinstance(auto, FallbackSpeaker) and isinstance(auto.primary, GttsSpeaker)
    with pytest.raises(ValueError, match="engine"):
        make_speaker("festival")


# ---------------------------------------------------------------- chunking for Google


def test_gtts_chunks_end_at_sentences_then_clauses_never_mid_phrase() -> None:
    text = ("Chi bộ tổ chức học tập, quán triệt nghị quyết cho toàn thể đảng viên, quần chúng ưu tú, "
            "đoàn viên thanh niên và các hội viên trong thôn, bảo đảm chất lượng và thực chất. Câu ngắn. Câu nữa.")
    chunks = split_for_gtts(text)
    assert all(len(chunk) <= GTTS_MAX_CHARS for chunk in chunks)
    assert " ".join(chunks).split() == text.split()  # nothing lost, nothing reordered
    assert all(chunk.endswith((",", ".")) for chunk in chunks)  # every cut at a clause or sentence end
    assert chunks[-1].endswith("Câu ngắn. Câu nữa.")  # short sentences share a request


def test_a_clause_longer_than_a_request_is_cut_evenly_between_words() -> None:
    clause = " ".join(["đảng viên"] * 40)  # 359 characters, no punctuation at all
    chunks = split_for_gtts(clause)
    assert " ".join(chunks) == clause and len(chunks) == 4
    assert all(len(chunk) <= GTTS_MAX_CHARS for chunk in chunks) and min(map(len, chunks)) > 60  # no stub at the end
    assert split_for_gtts("  \n ") == []
