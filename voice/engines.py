"""Speech engines behind one protocol: espeak-ng offline (the default), gTTS when online.

espeak-ng comes from the `espeakng-loader` wheel (the library and its data, with the Vietnamese
voices), driven through ctypes, so a fresh machine needs no system package. An `espeak-ng`
binary on PATH is the fallback; text then goes in a file, never on stdin (espeak-ng corrupts
UTF-8 split across its stdin buffer).
"""

from __future__ import annotations

import asyncio
import ctypes
import io
import logging
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)
VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south")
SPEEDS = ("normal", "slow")


@dataclass(frozen=True)
class Pcm:
    samples: np.ndarray  # float32, mono, -1..1
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    @staticmethod
    def concat(parts: list[Pcm], *, pause_seconds: float = 0.25) -> Pcm:
        if not parts:
            raise ValueError("nothing to join")
        rate = parts[0].sample_rate
        gap = np.zeros(int(rate * pause_seconds), dtype=np.float32)
        pieces: list[np.ndarray] = []
        for index, part in enumerate(parts):
            samples = part.samples if part.sample_rate == rate else resample(part.samples, part.sample_rate, rate)
            pieces.append(samples)
            if index < len(parts) - 1:
                pieces.append(gap)
        return Pcm(np.concatenate(pieces).astype(np.float32), rate)


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    if source_rate == target_rate or len(samples) == 0:
        return samples.astype(np.float32)
    duration = len(samples) / source_rate
    target_length = max(1, int(round(duration * target_rate)))
    positions = np.linspace(0, len(samples) - 1, target_length)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


class SpeechError(Exception):
    pass


class Speaker(Protocol):
    name: str

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm: ...


# ---------------------------------------------------------------- espeak-ng

# Words per minute: slower than espeak's 175 default, for elderly listeners.
ESPEAK_RATE = {"normal": 150, "slow": 115}
ESPEAK_VOLUME = 120  # percent; a little louder than default for cheap phone speakers
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_WORDGAP = 1, 2, 3, 7
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _EspeakLibrary:
    """One process-wide libespeak-ng; it keeps global state, so every call holds the lock."""

    _instance: _EspeakLibrary | None = None
    _create_lock = threading.Lock()

    def __init__(self) -> None:
        import espeakng_loader

        self.lock = threading.Lock()
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.sample_rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
        if self.sample_rate <= 0:
            raise SpeechError("espeak-ng did not initialise")
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced: the library calls it later
        self.lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> _EspeakLibrary:
        with cls._create_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, wav: ctypes._Pointer, count: int, _events: int) -> int:  # type: ignore[type-arg]
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def synthesize(self, text: str, *, voice: str, rate: int) -> np.ndarray:
        with self.lock:
            self._chunks = []
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechError(f"espeak-ng has no voice {voice}")
            self.lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
            self.lib.espeak_SetParameter(_PARAM_VOLUME, ESPEAK_VOLUME, 0)
            self.lib.espeak_SetParameter(_PARAM_WORDGAP, 1, 0)
            data = text.encode("utf-8")
            buffer = ctypes.create_string_buffer(data)
            if self.lib.espeak_Synth(buffer, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None) != 0:
                raise SpeechError("espeak-ng failed to synthesise")
            self.lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return (np.concatenate(chunks).astype(np.float32) / 32768.0).clip(-1, 1)


class EspeakSpeaker:
    name = "espeak"

    def __init__(self) -> None:
        self.binary = shutil.which("espeak-ng")

    def _synthesize_blocking(self, text: str, voice: str, speed: str) -> Pcm:
        if voice not in VOICES:
            raise SpeechError(f"unknown voice {voice}")
        rate = ESPEAK_RATE.get(speed, ESPEAK_RATE["normal"])
        try:
            library = _EspeakLibrary.get()
        except (OSError, ImportError, SpeechError) as exc:
            if self.binary is None:
                raise SpeechError(f"espeak-ng is not available: {exc}") from exc
            return self._with_binary(text, voice, rate)
        return Pcm(library.synthesize(text, voice=voice, rate=rate), library.sample_rate)

    def _with_binary(self, text: str, voice: str, rate: int) -> Pcm:
        import soundfile

        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "text.txt"
            target = Path(folder) / "speech.wav"
            source.write_text(text, encoding="utf-8")
            subprocess.run([self.binary or "espeak-ng", "-v", voice, "-s", str(rate), "-a", "150", "-f", str(source), "-w", str(target)],
                           check=True, capture_output=True, timeout=300)
            samples, sample_rate = soundfile.read(target, dtype="float32")
        return Pcm(samples, sample_rate)

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        return await asyncio.to_thread(self._synthesize_blocking, text, voice, speed)


# ---------------------------------------------------------------- gTTS

GTTS_MAX_CHARS = 100
Transport = Callable[[str, bool], bytes]  # (text chunk, slow) → MP3 bytes


def split_for_gtts(text: str, limit: int = GTTS_MAX_CHARS) -> list[str]:
    """Chunks of at most `limit` characters, cut at sentence ends, then clauses, then words."""
    chunks: list[str] = []
    for sentence in re.split(r"(?<=[.!?;…])\s+|\n+", text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if len(sentence) <= limit:
            chunks.append(sentence)
            continue
        current = ""
        for clause in re.split(r"(?<=[,:])\s+", sentence):
            for word in clause.split():
                candidate = f"{current} {word}".strip()
                if len(candidate) > limit and current:
                    chunks.append(current)
                    current = word
                else:
                    current = candidate
            if current and current.endswith((",", ":")) and len(current) > limit * 0.6:
                chunks.append(current)
                current = ""
        if current:
            chunks.append(current)
    return chunks


def gtts_transport(timeout: float = 10.0) -> Transport:
    """The real gTTS call (needs Google; unreachable on this project's machines)."""

    def fetch(text: str, slow: bool) -> bytes:
        from gtts import gTTS

        buffer = io.BytesIO()
        gTTS(text=text, lang="vi", slow=slow, timeout=timeout).write_to_fp(buffer)
        return buffer.getvalue()

    return fetch


def decode_audio(data: bytes) -> Pcm:
    """MP3 (what gTTS returns), OGG or WAV bytes → PCM, through libsndfile."""
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return Pcm(samples.mean(axis=1).astype(np.float32), rate)


class GttsSpeaker:
    name = "gtts"

    def __init__(self, transport: Transport | None = None, *, retries: int = 3, backoff: float = 1.0) -> None:
        self.transport = transport or gtts_transport()
        self.retries = retries
        self.backoff = backoff

    def _fetch(self, chunk: str, slow: bool) -> bytes:
        from gtts.tts import gTTSError

        for attempt in range(self.retries + 1):
            try:
                return self.transport(chunk, slow)
            except gTTSError as exc:
                status = getattr(getattr(exc, "rsp", None), "status_code", None)
                if status == 429 and attempt < self.retries:
                    time.sleep(self.backoff * (2**attempt))
                    continue
                raise SpeechError(f"gTTS failed: {status or type(exc).__name__}") from exc
            except Exception as exc:  # network down, DNS, timeouts: let the fallback speak
                raise SpeechError(f"gTTS unreachable: {type(exc).__name__}") from exc
        raise SpeechError("gTTS kept answering 429")

    def _synthesize_blocking(self, text: str, voice: str, speed: str) -> Pcm:
        # gTTS has one Vietnamese voice; the regional choice applies to espeak-ng only.
        parts = [decode_audio(self._fetch(chunk, speed == "slow")) for chunk in split_for_gtts(text)]
        if not parts:
            raise SpeechError("nothing to say")
        return Pcm.concat(parts, pause_seconds=0.1)

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        return await asyncio.to_thread(self._synthesize_blocking, text, voice, speed)


class FallbackSpeaker:
    """The primary engine, or the fallback when the primary fails (gTTS offline → espeak-ng)."""

    def __init__(self, primary: Speaker, fallback: Speaker) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name
        self.last_used = primary.name

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        try:
            pcm = await self.primary.synthesize(text, voice=voice, speed=speed)
            self.last_used = self.primary.name
            return pcm
        except SpeechError as exc:
            log.warning("%s failed (%s); speaking with %s", self.primary.name, exc, self.fallback.name)
            self.last_used = self.fallback.name
            return await self.fallback.synthesize(text, voice=voice, speed=speed)


def make_speaker(engine: str = "espeak", *, gtts_transport_override: Transport | None = None) -> Speaker:
    if engine == "espeak":
        return EspeakSpeaker()
    if engine == "gtts":
        return GttsSpeaker(gtts_transport_override)
    if engine == "auto":
        return FallbackSpeaker(GttsSpeaker(gtts_transport_override), EspeakSpeaker())
    raise ValueError(f"unknown engine {engine!r} (espeak, gtts or auto)")
