"""Engines in a file of their own (voice.engines.load_engine): a fake engine file goes through the
same interface Piper uses, from a module path or a deployment's settings; Piper itself only when
piper-tts is installed (an optional extra)."""

from __future__ import annotations

import importlib.util

import pytest

from voice.engines import ENGINE_MODULES, EngineConfig, SpeechError, make_speaker, split_for_gtts, unbreakable_words
from voice.normalize import normalize
from voice.service import VoiceRenderer, split_parts

FAKE = "tests.unit.voice.fake_engine"


async def test_an_engine_file_is_loaded_by_its_module_path_and_renders_voice_notes(tmp_path) -> None:
    speaker = make_speaker(FAKE, options="330")
    assert speaker.name == "humming" and speaker.pitch == 330  # type: ignore[attr-defined]
    renderer = VoiceRenderer(speaker, tmp_path / "audio")
    notes = await renderer.render("Chi bộ họp ngày 3 hàng tháng.")
    assert len(notes) == 1 and notes[0].engine == "humming" and notes[0].data.startswith(b"OggS")
    assert speaker.texts == ["Chi bộ họp ngày ba hàng tháng."]  # it gets the normalised text  # type: ignore[attr-defined]
    assert (await renderer.render("Chi bộ họp ngày 3 hàng tháng."))[0].key == notes[0].key and renderer.syntheses == 1


def test_a_named_factory_and_the_deployment_config() -> None:
    assert make_speaker(f"{FAKE}:create", options="500").pitch == 500  # type: ignore[attr-defined]
    assert EngineConfig(FAKE, options="123").speaker().pitch == 123  # type: ignore[attr-defined]


def test_what_is_not_an_engine_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        make_speaker("festival")
    with pytest.raises(SpeechError, match="cannot be loaded"):
        make_speaker("nowhere.engine")
    with pytest.raises(ValueError, match="has no"):
        make_speaker(f"{FAKE}:missing")
    with pytest.raises(ValueError, match="did not build a speaker"):
        make_speaker("email.utils:unquote", options="x")  # builds something, but no speaker


def test_piper_is_named_and_needs_its_voice_file() -> None:
    assert ENGINE_MODULES["piper"] == "voice.engine_piper"
    with pytest.raises(SpeechError, match="voice file"):
        make_speaker("piper", options="")
    with pytest.raises(SpeechError, match="no Piper voice file"):
        make_speaker("piper", options="/nonexistent/vi.onnx")


@pytest.mark.skipif(importlib.util.find_spec("piper") is None, reason="piper-tts (optional extra `piper`) is not installed")
async def test_piper_speaks_with_a_voice_file(tmp_path) -> None:  # pragma: no cover - only where piper-tts is installed
    import os

    model = os.environ.get("SOTAY_TEST_PIPER_MODEL")
    if not model:
        pytest.skip("SOTAY_TEST_PIPER_MODEL names no .onnx voice file")
    pcm = await make_speaker("piper", options=model).synthesize("Xin chào đồng chí.", voice="vi", speed="normal")
    assert pcm.seconds > 0.5 and pcm.engine == "piper"


# ---------------------------------------------------------------- cuts: never inside a number


def _words_of_one_number_stay_together(chunks: list[str], number: str) -> None:
    joined = " ".join(chunks)
    assert number in joined
    assert any(number in chunk for chunk in chunks), (number, chunks)


def test_a_spelled_out_number_is_one_unbreakable_word() -> None:
    spoken = normalize("đến năm 2030 có trên 75,5% tổ chức")
    groups = unbreakable_words(spoken)
    assert "năm hai nghìn không trăm ba mươi" in groups
    assert any(group.startswith("bảy mươi lăm phẩy năm") for group in groups)


def test_gtts_requests_never_cut_a_number() -> None:
    clause = ("các đồng chí đảng viên ở xã vùng cao tham gia học tập nghị quyết với tổng số "
              "một trăm hai mươi ba nghìn bốn trăm năm mươi sáu lượt người và nhiều hoạt động khác nữa")
    chunks = split_for_gtts(clause, limit=100)
    assert all(len(chunk) <= 100 for chunk in chunks)
    _words_of_one_number_stay_together(chunks, "một trăm hai mươi ba nghìn bốn trăm năm mươi sáu")


def test_voice_note_parts_never_cut_a_number() -> None:
    sentence = ("Năm nay chi bộ có " + "rất nhiều " * 20 + "đảng viên, tổng số hai nghìn không trăm ba mươi lăm người "
                + "tham gia " * 20 + "học tập.")
    parts = split_parts(sentence, speed="normal", target_seconds=20, syllables_per_minute=150)
    assert len(parts) > 1
    _words_of_one_number_stay_together(parts, "hai nghìn không trăm ba mươi lăm")
