"""PCM → mono OGG/Opus voice notes, the format Telegram plays as a voice message.

Speech is resampled to 16 kHz before encoding: Opus then spends its bits on the speech band,
which keeps a minute of voice small for patchy mountain 4G.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from voice.engines import Pcm, resample

VOICE_SAMPLE_RATE = 16_000
MAX_PART_SECONDS = 180


@dataclass(frozen=True)
class EncodedAudio:
    data: bytes
    duration_seconds: float

    @property
    def kbps(self) -> float:
        return len(self.data) * 8 / 1000 / max(self.duration_seconds, 0.001)


def encode_voice(pcm: Pcm, *, sample_rate: int = VOICE_SAMPLE_RATE) -> EncodedAudio:
    import soundfile

    samples = resample(pcm.samples, pcm.sample_rate, sample_rate)
    peak = float(np.abs(samples).max()) if len(samples) else 0.0
    if peak > 0:
        samples = samples * min(0.95 / peak, 4.0)  # even loudness; quiet engines get lifted
    buffer = io.BytesIO()
    with soundfile.SoundFile(buffer, mode="w", samplerate=sample_rate, channels=1, format="OGG", subtype="OPUS") as out:
        out.write(samples.astype(np.float32))
    return EncodedAudio(data=buffer.getvalue(), duration_seconds=len(samples) / sample_rate)


def opus_channel_count(data: bytes) -> int | None:
    """Channel count from the OpusHead packet (byte 9 after the magic), or None if absent."""
    index = data.find(b"OpusHead")
    return data[index + 9] if index >= 0 and len(data) > index + 9 else None
