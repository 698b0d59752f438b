"""What `sotay voice normalize` and `sotay voice say` do."""

from __future__ import annotations

import tempfile
from pathlib import Path

from voice.engines import make_speaker
from voice.normalize import normalize
from voice.service import VoiceNote, VoiceRenderer


def normalize_command(text: str) -> str:
    return normalize(text)


async def say_command(text: str, output: Path, *, engine: str = "espeak", voice: str = "vi", speed: str = "normal") -> list[tuple[Path, VoiceNote]]:
    """Writes FILE.ogg (and FILE.2.ogg … for long texts); returns each path with its note."""
    with tempfile.TemporaryDirectory() as cache_dir:
        notes = await VoiceRenderer(make_speaker(engine), cache_dir).render(text, voice=voice, speed=speed)
        written = []
        for note in notes:
            path = output if note.part == 0 else output.with_name(f"{output.stem}.{note.part + 1}{output.suffix}")
            path.write_bytes(note.data)
            written.append((path, note))
    return written
