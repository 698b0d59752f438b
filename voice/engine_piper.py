"""Piper: a local neural voice from an `.onnx` voice file the operator supplies (with its
`.onnx.json` beside it). Optional: `pip install 'sotay[piper]'` installs `piper-tts`; nothing
imports it unless SOTAY_TTS_ENGINE=piper (see docs/voices.md).

    SOTAY_TTS_ENGINE=piper
    SOTAY_TTS_ENGINE_OPTIONS=/srv/sotay/voices/vi_VN-vais1000-medium.onnx

Piper has one speaker per voice file: the regional voice choice does not apply; "slow" stretches
the phoneme length (`length_scale`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from voice.audio import Pcm, to_mono_float32
from voice.engines import SpeechError, check_voice_and_speed

LENGTH_SCALE = {"normal": 1.0, "slow": 1.3}


class PiperSpeaker:
    name = "piper"
    syllables_per_minute: Mapping[str, float] = {"normal": 170, "slow": 130}

    def __init__(self, model_path: str | Path) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise SpeechError(f"no Piper voice file at {self.model_path} (SOTAY_TTS_ENGINE_OPTIONS)")
        try:
            from piper import PiperVoice  # the optional extra: imported only when this engine is chosen
        except ImportError as exc:
            raise SpeechError("piper-tts is not installed: pip install 'sotay[piper]'") from exc
        self._voice: Any = PiperVoice.load(str(self.model_path))
        self._lock = threading.Lock()  # one ONNX session, used by one synthesis at a time

    def _synthesize_blocking(self, text: str, voice: str, speed: str) -> Pcm:
        check_voice_and_speed(voice, speed)
        with self._lock:
            chunks, rate = self._run(text, LENGTH_SCALE[speed])
        if not chunks:
            raise SpeechError("Piper produced no audio")
        return Pcm(to_mono_float32(np.concatenate(chunks)), rate, self.name)

    def _run(self, text: str, length_scale: float) -> tuple[list[np.ndarray], int]:
        voice = self._voice
        if hasattr(voice, "synthesize_stream_raw"):  # piper-tts 1.2: raw int16 bytes
            rate = int(voice.config.sample_rate)
            raw = voice.synthesize_stream_raw(text, length_scale=length_scale)
            return [np.frombuffer(chunk, dtype=np.int16) for chunk in raw], rate
        from piper import SynthesisConfig  # piper-tts ≥ 1.3: audio chunks with their own rate

        chunks, rate = [], 22050
        for chunk in voice.synthesize(text, syn_config=SynthesisConfig(length_scale=length_scale)):
            chunks.append(np.asarray(chunk.audio_float_array, dtype=np.float32))
            rate = int(chunk.sample_rate)
        return chunks, rate

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        return await asyncio.to_thread(self._synthesize_blocking, text, voice, speed)


def create(options: str) -> PiperSpeaker:
    """`options`: the path of the .onnx voice file."""
    if not options.strip():
        raise SpeechError("the Piper engine needs its voice file: SOTAY_TTS_ENGINE_OPTIONS=/path/voice.onnx")
    return PiperSpeaker(options.strip())
