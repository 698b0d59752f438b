"""PCM → mono OGG/Opus voice notes, the format Telegram plays as a voice message.

libopus, called directly (`voice.ogg`), encodes at 24 kbps VBR with complexity 10 (≈ 180 KB a
minute): clear speech, small enough for a weak mountain 4G link. Where the system has no
libopus, libsndfile (inside the soundfile wheel) writes the same format, about 2.5× slower: it
exposes no bitrate setting, but its "compression level" maps onto the Opus bitrate; 0.92 at
24 kHz measures about 24 kbps on espeak speech. 24 kHz is
Google's own rate and just above espeak's 22.05 kHz, so nothing above the speech band is lost
and nothing is invented.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np

from voice import ogg
from voice.audio import Pcm, even_loudness, resample

VOICE_SAMPLE_RATE = 24_000
OPUS_COMPRESSION_LEVEL = 0.92  # libsndfile's path
OPUS_BITRATE = 24_000  # libopus's path: the bitrate libsndfile's level measures
MAX_PART_SECONDS = 180  # a voice note longer than three minutes is too long to follow
_OPUS_GRANULE_RATE = 48_000  # Ogg/Opus granule positions always count 48 kHz samples


@dataclass(frozen=True)
class EncodedAudio:
    data: bytes
    duration_seconds: float

    @property
    def kbps(self) -> float:
        return len(self.data) * 8 / 1000 / max(self.duration_seconds, 0.001)


def encode_voice(pcm: Pcm, *, sample_rate: int = VOICE_SAMPLE_RATE,
                 compression_level: float = OPUS_COMPRESSION_LEVEL) -> EncodedAudio:
    """One mono OGG/Opus voice note, loudness evened out."""
    if len(pcm.samples) == 0:
        raise ValueError("no audio to encode")
    samples = even_loudness(resample(pcm.samples, pcm.sample_rate, sample_rate), sample_rate)
    if ogg.available():
        data = ogg.encode(samples.astype(np.float32), sample_rate, bitrate=OPUS_BITRATE)
        return EncodedAudio(data=data, duration_seconds=len(samples) / sample_rate)
    import soundfile

    buffer = io.BytesIO()
    with soundfile.SoundFile(buffer, mode="w", samplerate=sample_rate, channels=1, format="OGG", subtype="OPUS",
                             compression_level=compression_level) as out:
        out.write(samples.astype(np.float32))
    return EncodedAudio(data=buffer.getvalue(), duration_seconds=len(samples) / sample_rate)


def opus_head(data: bytes) -> dict[str, int] | None:
    """The OpusHead identification header (RFC 7845 §5.1): version, channels, pre_skip, input_rate."""
    index = data.find(b"OpusHead")
    if index < 0 or len(data) < index + 19:
        return None
    version, channels, pre_skip, input_rate = struct.unpack_from("<BBHI", data, index + 8)
    return {"version": version, "channels": channels, "pre_skip": pre_skip, "input_rate": input_rate}


def opus_channel_count(data: bytes) -> int | None:
    head = opus_head(data)
    return head["channels"] if head else None


def ogg_opus_duration(data: bytes) -> float | None:
    """Playing time from the container alone: the last page's granule position minus the
    pre-skip, at 48 kHz; what a player shows without decoding anything."""
    head = opus_head(data)
    last = data.rfind(b"OggS")
    if head is None or last < 0 or len(data) < last + 14:
        return None
    (granule,) = struct.unpack_from("<q", data, last + 6)
    return max(0, granule - head["pre_skip"]) / _OPUS_GRANULE_RATE
