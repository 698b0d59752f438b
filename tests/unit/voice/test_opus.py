"""OGG/Opus voice notes and the signal helpers behind them."""

import io

import numpy as np
import pytest
import soundfile

from voice.audio import (
    Pcm,
    concat,
    even_loudness,
    resample,
    split_at_pauses,
    trim_silence,
)
from voice.engines import EspeakSpeaker
from voice.opus import MAX_PART_SECONDS, encode_voice, ogg_opus_duration, opus_head


def tone(seconds: float, *, rate: int = 22050, frequency: float = 440.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


async def test_a_voice_note_is_mono_ogg_opus_of_known_duration_at_about_24_kbps() -> None:
    text = "Chi bộ họp thường kỳ vào ngày mùng bốn hàng tháng, lúc mười chín giờ ba mươi phút, tại nhà văn hóa thôn."
    pcm = await EspeakSpeaker().synthesize(text * 3, voice="vi", speed="normal")
    note = encode_voice(pcm)
    assert note.data[:4] == b"OggS" and b"OpusHead" in note.data and b"OpusTags" in note.data
    head = opus_head(note.data)
    assert head is not None and head["channels"] == 1 and head["version"] == 1 and head["input_rate"] == 24_000
    assert note.duration_seconds == pytest.approx(pcm.seconds, abs=0.01)
    assert ogg_opus_duration(note.data) == pytest.approx(pcm.seconds, abs=0.05)  # what a player shows
    decoded, rate = soundfile.read(io.BytesIO(note.data))
    assert decoded.ndim == 1 and len(decoded) / rate == pytest.approx(pcm.seconds, abs=0.1)
    assert 16 < note.kbps < 32


def test_loudness_is_evened_without_clipping() -> None:
    quiet = tone(2, level=0.01)
    lifted = even_loudness(quiet, 22050)
    assert float(np.abs(lifted).max()) == pytest.approx(0.08, rel=0.01)  # gain capped at 8×
    loud = tone(2, level=0.99)
    assert float(np.abs(even_loudness(loud, 22050)).max()) <= 0.89 + 1e-6
    mid = np.concatenate([tone(1, level=0.05), np.zeros(22050, dtype=np.float32)])
    rms = float(np.sqrt(np.mean(even_loudness(mid, 22050)[:22050] ** 2)))
    assert rms == pytest.approx(0.1, rel=0.05)  # pauses do not count towards the loudness target
    with pytest.raises(ValueError):
        encode_voice(Pcm(np.zeros(0, dtype=np.float32), 22050))


def test_resampling_keeps_pitch_and_length_and_does_not_alias() -> None:
    up = resample(tone(1.0, frequency=1000), 22050, 24000)
    assert len(up) == 24000 and dominant_frequency(up, 24000) == pytest.approx(1000, abs=2)
    # A 15 kHz whistle cannot exist at 24 kHz: it must vanish, not fold back as a 9 kHz one.
    high = resample(tone(1.0, rate=48000, frequency=15000), 48000, 24000)
    assert len(high) == 24000 and float(np.abs(high).max()) < 0.01
    odd = resample(tone(0.3337, rate=44100), 44100, 16000)
    assert len(odd) == round(len(tone(0.3337, rate=44100)) * 16000 / 44100)


def test_trim_and_concat_with_pauses() -> None:
    padded = Pcm(np.concatenate([np.zeros(11025, np.float32), tone(1.0), np.zeros(11025, np.float32)]), 22050, "gtts")
    trimmed = trim_silence(padded)
    assert trimmed.seconds == pytest.approx(1.06, abs=0.02) and trimmed.engine == "gtts"
    joined = concat([trimmed, trimmed], [0.35])
    assert joined.seconds == pytest.approx(2 * trimmed.seconds + 0.35, abs=0.001)
    assert trim_silence(Pcm(np.zeros(22050, np.float32), 22050)).seconds == 0


def test_long_audio_is_cut_inside_pauses_into_parts_of_at_most_three_minutes() -> None:
    rate = 8000
    sentence = np.concatenate([tone(7.3, rate=rate), np.zeros(int(0.4 * rate), np.float32)])  # speech, then a pause
    pcm = Pcm(np.tile(sentence, 60), rate, "espeak")  # 7.7 minutes
    pieces = split_at_pauses(pcm, MAX_PART_SECONDS)
    assert len(pieces) == 3 and all(piece.seconds <= MAX_PART_SECONDS for piece in pieces)
    assert sum(len(p.samples) for p in pieces) == len(pcm.samples)
    frame = rate // 100
    for piece in pieces[1:]:  # every cut falls in silence
        assert float(np.abs(piece.samples[:frame]).max()) == 0.0
    assert split_at_pauses(Pcm(tone(3, rate=rate), rate), MAX_PART_SECONDS)[0].seconds == pytest.approx(3)


def _crc_bit_by_bit(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def test_the_ogg_page_checksum_is_the_one_rfc_3533_defines() -> None:
    from voice.ogg import ogg_crc

    for data in (b"", b"OggS", bytes(range(256)) * 3):
        assert ogg_crc(data) == _crc_bit_by_bit(data)


@pytest.mark.parametrize("direct", [True, False], ids=["libopus", "libsndfile"])
def test_both_encoders_give_a_note_that_decodes_to_the_same_speech(direct: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from voice import ogg

    if direct and not ogg.available():
        pytest.skip("no libopus on this machine")
    monkeypatch.setattr(ogg, "available", lambda: direct)
    source = np.concatenate([tone(1.5, frequency=300), np.zeros(11025, np.float32), tone(1.0, frequency=700)])
    note = encode_voice(Pcm(source, 22050))
    decoded, rate = soundfile.read(io.BytesIO(note.data), dtype="float32")  # libogg checks every page's checksum
    assert rate == 24_000 and abs(len(decoded) / rate - len(source) / 22050) < 0.03
    assert ogg_opus_duration(note.data) == pytest.approx(len(source) / 22050, abs=0.03)
    assert (b"sotay (libopus)" in note.data) is direct
    expected = resample(even_loudness(resample(source, 22050, 24000), 24000), 24000, rate)
    length = min(len(expected), len(decoded))
    # The same sound, in time: a codec delay left in (a wrong pre-skip) would shift it by ~6 ms.
    correlation = float(np.corrcoef(expected[:length], decoded[:length])[0, 1])
    assert correlation > 0.9
    assert dominant_frequency(decoded[: int(1.4 * rate)], rate) == pytest.approx(300, abs=5)
