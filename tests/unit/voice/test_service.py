"""The renderer: normalise → split → synthesise → encode → cache, and the CLI functions."""

import asyncio
import json

import numpy as np
import pytest

from voice.audio import Pcm
from voice.cache import AudioCache, cache_key
from voice.cli import normalize_command, part_output_path, say_command
from voice.engines import EspeakSpeaker, FallbackSpeaker, SpeechError
from voice.normalize import normalize
from voice.opus import MAX_PART_SECONDS, ogg_opus_duration
from voice.service import VoiceRenderer, split_parts

RESOLUTION = "Nghị quyết 21-NQ/TW ngày 30/7/2021 về xây dựng tổ chức cơ sở đảng."


class Counting:
    """Counts the syntheses of the speaker it wraps."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts: list[str] = []

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        self.texts.append(text)
        return await self.inner.synthesize(text, voice=voice, speed=speed)


class Metronome:
    """A fast stand-in engine: a hum per syllable at `syllables_per_minute`, pauses at full stops."""

    def __init__(self, name: str = "metronome", syllables_per_minute: float = 170, rate: int = 8000) -> None:
        self.name = name
        self.seconds_per_syllable = 60 / syllables_per_minute
        self.rate = rate

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        length = int(self.rate * self.seconds_per_syllable)
        syllable = (0.3 * np.hanning(length) * np.sin(2 * np.pi * 180 * np.arange(length) / self.rate)).astype(np.float32)
        pause = np.zeros(int(self.rate * 0.4), np.float32)
        pieces = [np.concatenate([syllable, pause]) if word.endswith(".") else syllable for word in text.split()]
        return Pcm(np.concatenate(pieces), self.rate, self.name)


class Broken:
    name = "gtts"

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        raise SpeechError("Google unreachable")


async def test_second_render_comes_from_the_cache_without_synthesis(tmp_path) -> None:
    speaker = Counting(EspeakSpeaker())
    renderer = VoiceRenderer(speaker, tmp_path)
    first = await renderer.render(RESOLUTION, voice="vi")
    again = await renderer.render(RESOLUTION, voice="vi")
    assert len(speaker.texts) == 1 and (renderer.cache_misses, renderer.cache_hits, renderer.syntheses) == (1, 1, 1)
    assert speaker.texts[0].startswith("Nghị quyết hai mươi mốt nghị quyết trung ương ngày ba mươi tháng bảy")
    assert again[0].data == first[0].data and again[0].key == first[0].key and again[0].path == first[0].path
    assert first[0].text_key == cache_key(normalize(RESOLUTION), engine="espeak", voice="vi", speed="normal")
    assert first[0].key == f"{first[0].text_key}.0"
    assert first[0].engine == "espeak" and first[0].data[:4] == b"OggS" and first[0].path.read_bytes() == first[0].data
    assert first[0].duration == round(first[0].duration_seconds)

    # A fresh renderer (a restarted bot) finds the notes on disk.
    restarted = VoiceRenderer(speaker, tmp_path)
    assert (await restarted.render(RESOLUTION, voice="vi"))[0].data == first[0].data
    assert len(speaker.texts) == 1 and restarted.stats.cache_hits == 1

    # Another voice, another speed: other audio.
    south = await renderer.render(RESOLUTION, voice="vi-vn-x-south")
    slow = await renderer.render(RESOLUTION, voice="vi", speed="slow")
    assert len({first[0].key, south[0].key, slow[0].key}) == 3 and len(speaker.texts) == 3
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave nothing behind


async def test_concurrent_renders_of_one_text_synthesise_once(tmp_path) -> None:
    speaker = Counting(Metronome())
    renderer = VoiceRenderer(speaker, tmp_path)
    results = await asyncio.gather(*[renderer.render(RESOLUTION) for _ in range(5)])
    assert len(speaker.texts) == 1 and renderer.stats.cache_hits == 4
    assert len({notes[0].data for notes in results}) == 1
    assert not renderer._locks  # per-text locks do not pile up in a long-running bot


async def test_long_text_becomes_several_notes_of_at_most_three_minutes(tmp_path) -> None:
    sentence = "Chi bộ thôn Khe Gầy tổ chức sinh hoạt thường kỳ, đánh giá kết quả thực hiện nhiệm vụ tháng 11."
    long_text = " ".join([sentence] * 20)  # 440 spoken syllables: more than one part (425 for espeak)
    speaker = Counting(EspeakSpeaker())
    notes = await VoiceRenderer(speaker, tmp_path).render(long_text, voice="vi")
    assert len(notes) >= 2 and [n.part for n in notes] == list(range(len(notes)))
    assert all(n.parts == len(notes) and n.text_key == notes[0].text_key for n in notes)
    # One file-id cache entry per voice message: parts must never share a key.
    assert len({n.key for n in notes}) == len(notes) and len({n.path for n in notes}) == len(notes)
    for note in notes:
        assert note.duration_seconds <= MAX_PART_SECONDS
        assert ogg_opus_duration(note.data) == pytest.approx(note.duration_seconds, abs=0.05)
    for text in speaker.texts:  # each part is whole sentences
        assert text.endswith("mười một.")
    assert max(n.duration_seconds for n in notes) - min(n.duration_seconds for n in notes) < 60  # balanced


async def test_a_voice_slower_than_estimated_is_still_cut_at_the_part_limit(tmp_path) -> None:
    sentence = "Đảng viên cao tuổi được miễn sinh hoạt nhưng vẫn được thông tin đầy đủ về nghị quyết."
    text = " ".join([sentence] * 3)  # 54 syllables: one part by the estimate (≤ 25 s at 150 a minute)
    speaker = Counting(Metronome(syllables_per_minute=90))  # but this voice takes 37 s
    notes = await VoiceRenderer(speaker, tmp_path, max_part_seconds=30).render(text, speed="normal")
    assert len(speaker.texts) == 1 and len(notes) == 2
    assert all(note.duration_seconds <= 30 for note in notes)
    assert notes[0].duration_seconds > 0.6 * 30  # cut late, at a pause, not in the middle


def test_split_parts_keeps_sentences_whole_and_shares_them_out() -> None:
    sentence = "Một hai ba bốn năm sáu bảy tám chín mười."
    parts = split_parts(" ".join([sentence] * 100), speed="normal", target_seconds=150)  # 1,000 syllables
    assert len(parts) == 3 and all(p.endswith("mười.") for p in parts)
    sizes = [len(p.split()) for p in parts]
    assert max(sizes) <= 375 and max(sizes) - min(sizes) <= 10
    assert split_parts("MỤC ĐÍCH\nChi bộ họp", speed="normal") == ["MỤC ĐÍCH. Chi bộ họp."]
    huge = " ".join(["đảng viên"] * 500)  # one endless sentence: cut between words
    assert all(len(p.split()) <= 375 for p in split_parts(huge, speed="normal"))


async def test_a_fallback_render_is_filed_under_the_engine_that_spoke(tmp_path) -> None:
    renderer = VoiceRenderer(FallbackSpeaker(Broken(), Metronome("espeak"), retry_primary_after=0), tmp_path)
    notes = await renderer.render(RESOLUTION)
    assert notes[0].engine == "espeak" and renderer.stats.fallbacks == 1
    assert notes[0].text_key == cache_key(normalize(RESOLUTION), engine="espeak", voice="vi", speed="normal")
    # Not under "gtts": the next render tries Google again rather than serve the robot voice forever.
    await renderer.render(RESOLUTION)
    assert renderer.stats.cache_hits == 0 and renderer.stats.syntheses == 2


async def test_a_damaged_cache_entry_is_rendered_again(tmp_path) -> None:
    speaker = Counting(Metronome())
    renderer = VoiceRenderer(speaker, tmp_path)
    notes = await renderer.render(RESOLUTION)
    cache = AudioCache(tmp_path)
    cache.manifest_path(notes[0].text_key).write_text("{not json")
    again = await renderer.render(RESOLUTION)
    assert len(speaker.texts) == 2 and again[0].duration_seconds == notes[0].duration_seconds
    assert json.loads(cache.manifest_path(notes[0].text_key).read_text())["engine"] == "metronome"
    notes[0].path.unlink()
    await renderer.render(RESOLUTION)
    assert len(speaker.texts) == 3


async def test_nothing_to_say_and_unknown_voices_are_refused(tmp_path) -> None:
    renderer = VoiceRenderer(Metronome(), tmp_path)
    for text in ("   ", "“ ” - …"):
        with pytest.raises(SpeechError, match="nothing"):
            await renderer.render(text)
    with pytest.raises(SpeechError, match="voice"):
        await renderer.render("Xin chào", voice="en")


async def test_cli_functions(tmp_path) -> None:
    assert normalize_command("Khóa XIII, ngày 4/12/2026") == (
        "Khóa mười ba, ngày bốn tháng mười hai năm hai nghìn không trăm hai mươi sáu")
    extra = tmp_path / "words.tsv"
    extra.write_text("HTX\thợp tác xã\n", encoding="utf-8")
    assert normalize_command("HTX NN", abbreviations_file=extra) == "Hợp tác xã NN"

    output = tmp_path / "out" / "note.ogg"
    written = await say_command("Xin chào đồng chí.", output, "espeak", "vi-vn-x-central", "slow")
    assert [path for path, _ in written] == [output] and output.read_bytes()[:4] == b"OggS"
    assert written[0][1].engine == "espeak" and written[0][1].duration_seconds > 0.5
    assert part_output_path(output, 0) == output and part_output_path(output, 2).name == "note.3.ogg"
    with pytest.raises(ValueError):
        await say_command("Xin chào", output, "festival")
