"""A person's recording made fit for every channel: OGG/Opus (Telegram's voice notes; the listen
page converts it to MP3 for iPhones, core.media_links), whatever format it came in.

Pure and blocking (decoding, encoding): callers run it in a thread, before their transaction."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from core import texts
from core.errors import InvalidInput

MAX_BYTES = 20 * 1024 * 1024  # as any file Sổ tay takes in
MAX_SECONDS = 30 * 60
MIN_SECONDS = 1.0


@dataclass(frozen=True)
class PreparedAudio:
    data: bytes  # OGG/Opus, mono
    duration_seconds: float

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def duration(self) -> int:
        return max(1, round(self.duration_seconds))


def prepare_recording(data: bytes) -> PreparedAudio:
    """OGG/Opus kept as it is (a Telegram voice note: its file id is reused); MP3, WAV, FLAC or OGG
    Vorbis re-encoded as a mono OGG/Opus voice note. Refuses what is not audio, too long or too short."""
    from voice.audio import Pcm, to_mono_float32
    from voice.opus import encode_voice, ogg_opus_duration

    if len(data) > MAX_BYTES:
        raise InvalidInput(texts.recordings.TOO_BIG)
    duration = ogg_opus_duration(data) if data.startswith(b"OggS") and b"OpusHead" in data[:128] else None
    if duration is None:
        import soundfile

        try:
            samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
        except (RuntimeError, soundfile.LibsndfileError, ValueError, EOFError) as exc:
            raise InvalidInput(texts.recordings.UNREADABLE) from exc
        if len(samples) == 0:
            raise InvalidInput(texts.recordings.TOO_SHORT)
        duration = len(samples) / rate
        _check_length(duration)
        encoded = encode_voice(Pcm(to_mono_float32(samples), rate))
        return PreparedAudio(encoded.data, encoded.duration_seconds)
    _check_length(duration)
    return PreparedAudio(data, duration)


def _check_length(seconds: float) -> None:
    if seconds < MIN_SECONDS:
        raise InvalidInput(texts.recordings.TOO_SHORT)
    if seconds > MAX_SECONDS:
        raise InvalidInput(texts.recordings.TOO_LONG.format(minutes=MAX_SECONDS // 60))
