"""Real synthesis with espeak-ng, OGG/Opus voice notes, gTTS against a recorded response, fallback, cache."""

import io
from pathlib import Path

import numpy as np
import pytest
import requests
import soundfile

from voice.engines import EspeakSpeaker, FallbackSpeaker, GttsSpeaker, SpeechError, make_speaker, split_for_gtts
from voice.opus import MAX_PART_SECONDS, encode_voice, opus_channel_count
from voice.service import VoiceRenderer, split_parts

FIXTURE = Path(__file__).parent / "fixtures" / "gtts_batchexecute.txt"


@pytest.mark.parametrize("voice", ["vi", "vi-vn-x-central", "vi-vn-x-south"])
async def test_espeak_speaks_each_vietnamese_voice(voice: str) -> None:
    pcm = await EspeakSpeaker().synthesize("Xin chào các đồng chí đảng viên.", voice=voice, speed="normal")
    assert 1.0 < pcm.seconds < 6.0
    assert float(np.abs(pcm.samples).mean()) > 0.01  # not silence


async def test_slow_speed_is_slower_and_unknown_voice_is_refused() -> None:
    speaker = EspeakSpeaker()
    text = "Nghị quyết về xây dựng tổ chức cơ sở đảng trong sạch, vững mạnh."
    normal = await speaker.synthesize(text, voice="vi", speed="normal")
    slow = await speaker.synthesize(text, voice="vi", speed="slow")
    assert slow.seconds > normal.seconds * 1.15
    with pytest.raises(SpeechError):
        await speaker.synthesize(text, voice="en", speed="normal")


async def test_voice_note_is_mono_ogg_opus_with_its_duration() -> None:
    pcm = await EspeakSpeaker().synthesize("Chi bộ họp thường kỳ vào ngày mùng bốn hàng tháng.", voice="vi", speed="normal")
    encoded = encode_voice(pcm)
    assert encoded.data[:4] == b"OggS" and b"OpusHead" in encoded.data
    assert opus_channel_count(encoded.data) == 1
    back, rate = soundfile.read(io.BytesIO(encoded.data))
    assert back.ndim == 1 and abs(len(back) / rate - pcm.seconds) < 0.2
    assert abs(encoded.duration_seconds - pcm.seconds) < 0.1
    assert 12 < encoded.kbps < 40  # around 24 kbps: small enough for weak 4G


def _recorded_gtts(monkeypatch, calls: list) -> None:
    """Answer gTTS's real HTTP requests with a recorded batchexecute response."""

    def send(self, request, **kwargs):
        calls.append(request)
        response = requests.Response()
        response.status_code = 200
        response._content = FIXTURE.read_bytes()
        response._content_consumed = True  # the body is already here, as if fully read
        response.request = request
        return response

    monkeypatch.setattr(requests.Session, "send", send)


async def test_gtts_path_against_a_recorded_response(monkeypatch) -> None:
    calls: list = []
    _recorded_gtts(monkeypatch, calls)
    text = "Đồng chí chú ý. " * 12  # longer than one gTTS request
    pcm = await make_speaker("gtts").synthesize(text, voice="vi", speed="slow")
    assert len(calls) == len(split_for_gtts(text)) >= 2
    assert all("translate.google" in c.url for c in calls)
    assert pcm.seconds > 1.0 and float(np.abs(pcm.samples).mean()) > 0.005


async def test_gtts_failure_falls_back_to_espeak(monkeypatch) -> None:
    def refuse(self, request, **kwargs):
        raise requests.ConnectionError("no route to Google")

    monkeypatch.setattr(requests.Session, "send", refuse)
    speaker = make_speaker("auto")
    assert isinstance(speaker, FallbackSpeaker)
    pcm = await speaker.synthesize("Xin chào đồng chí", voice="vi", speed="normal")
    assert pcm.seconds > 0.5 and speaker.last_used == "espeak"
    with pytest.raises(SpeechError):
        await GttsSpeaker().synthesize("Xin chào", voice="vi", speed="normal")


def test_gtts_chunks_never_cut_mid_phrase() -> None:
    text = ("Chi bộ tổ chức học tập, quán triệt nghị quyết cho toàn thể đảng viên, quần chúng ưu tú, "
            "đoàn viên thanh niên và các hội viên trong thôn, bảo đảm chất lượng và thực chất. Câu ngắn.")
    chunks = split_for_gtts(text)
    assert all(len(c) <= 100 for c in chunks)
    assert " ".join(chunks).split() == text.split()
    assert chunks[-1] == "Câu ngắn."


async def test_renderer_caches_and_splits_long_texts(tmp_path) -> None:
    renderer = VoiceRenderer(EspeakSpeaker(), tmp_path)
    first = await renderer.render("Nghị quyết 21-NQ/TW ngày 30/7/2021.", voice="vi")
    again = await renderer.render("Nghị quyết 21-NQ/TW ngày 30/7/2021.", voice="vi")
    assert (renderer.syntheses, renderer.cache_hits) == (1, 1)
    assert again[0].data == first[0].data and again[0].key == first[0].key
    other_voice = await renderer.render("Nghị quyết 21-NQ/TW ngày 30/7/2021.", voice="vi-vn-x-south")
    assert other_voice[0].key != first[0].key and renderer.syntheses == 2

    long_text = " ".join(["Chi bộ thôn Khe Gầy tổ chức sinh hoạt thường kỳ, đánh giá kết quả thực hiện nhiệm vụ."] * 60)
    assert len(split_parts(long_text, speed="normal")) >= 2
    parts = await renderer.render(long_text, voice="vi")
    assert len(parts) >= 2 and all(p.duration_seconds <= MAX_PART_SECONDS for p in parts)
    assert [p.part for p in parts] == list(range(len(parts))) and len({p.key for p in parts}) == len(parts)


async def test_nothing_to_say_is_refused(tmp_path) -> None:
    with pytest.raises(SpeechError):
        await VoiceRenderer(EspeakSpeaker(), tmp_path).render("   ")
