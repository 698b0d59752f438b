"""What Telegram reads from uploaded bytes: a voice note's length, a photo's size."""

from __future__ import annotations

import io
import math
import struct

DEFAULT_MIME = {
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "document": "application/octet-stream",
    "photo": "image/jpeg",
    "video": "video/mp4",
}
# Telegram's own file paths end like these (voice notes are ".oga").
EXTENSIONS = {"audio/ogg": "oga", "audio/mpeg": "mp3", "audio/mp4": "m4a", "image/jpeg": "jpg", "image/png": "png",
              "video/mp4": "mp4", "application/pdf": "pdf", "text/plain": "txt"}
OPUS_SAMPLE_RATE = 48_000


def ogg_duration(data: bytes) -> int | None:
    """Whole seconds of an OGG/Opus stream, from the granule position of its last page."""
    if not data.startswith(b"OggS"):
        return None
    last = data.rfind(b"OggS")
    if last < 0 or last + 14 > len(data):
        return None
    (granule,) = struct.unpack_from("<q", data, last + 6)
    if granule <= 0:
        return None
    pre_skip = 0
    head = data.find(b"OpusHead")
    if head >= 0 and head + 12 <= len(data):
        (pre_skip,) = struct.unpack_from("<H", data, head + 10)
    return max(0, math.ceil((int(granule) - int(pre_skip)) / OPUS_SAMPLE_RATE))


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, read from its header."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack_from(">II", data, 16)
        return width, height
    if data.startswith(b"\xff\xd8"):
        stream = io.BytesIO(data[2:])
        while True:
            marker = stream.read(2)
            if len(marker) < 2 or marker[0] != 0xFF:
                return None
            length_bytes = stream.read(2)
            if len(length_bytes) < 2:
                return None
            (length,) = struct.unpack(">H", length_bytes)
            if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):  # start of frame
                frame = stream.read(5)
                if len(frame) < 5:
                    return None
                height, width = struct.unpack_from(">HH", frame, 1)
                return width, height
            stream.seek(length - 2, io.SEEK_CUR)
    return None


def make_sample_voice(seconds: float = 2.0) -> bytes:
    """A short tone in the spoken range as mono OGG/Opus, what Telegram's voice notes are.

    numpy and soundfile are imported here, not at the top: only the chat page's 🎤 needs them.
    """
    import numpy as np
    import soundfile

    rate = OPUS_SAMPLE_RATE
    t = np.arange(int(rate * seconds)) / rate
    wave = 0.3 * np.sin(2 * np.pi * 220 * t) * np.sin(np.pi * t / seconds)
    buffer = io.BytesIO()
    soundfile.write(buffer, wave.astype("float32"), rate, format="OGG", subtype="OPUS")
    return buffer.getvalue()
