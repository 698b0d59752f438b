"""What `sotay voice normalize` and `sotay voice say` do, as plain functions for the sotay CLI."""

from __future__ import annotations

import tempfile
from pathlib import Path

from voice.engines import make_speaker
from voice.normalize import load_abbreviations, normalize
from voice.service import VoiceNote, VoiceRenderer


def normalize_command(text: str, *, abbreviations_file: Path | None = None) -> str:
    """The spoken form of `text`, with an operator's abbreviations file merged over the defaults."""
    words = load_abbreviations(abbreviations_file) if abbreviations_file else None
    return normalize(text, abbreviations=words)


def part_output_path(output: Path, part: int) -> Path:
    """FILE.ogg for the first voice note, FILE.2.ogg, FILE.3.ogg … for the next ones."""
    return output if part == 0 else output.with_name(f"{output.stem}.{part + 1}{output.suffix or '.ogg'}")


async def say_command(text: str, output: Path, engine: str = "espeak", voice: str = "vi", speed: str = "normal",
                      *, cache_dir: Path | None = None) -> list[tuple[Path, VoiceNote]]:
    """Speaks `text` into OGG/Opus voice notes written at `output` (and FILE.2.ogg … when the text
    needs more than one three-minute note); returns each path with its note. Raises SpeechError
    when no engine can speak, ValueError for an unknown engine."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sotay-voice-") as scratch:
        renderer = VoiceRenderer(make_speaker(engine), cache_dir or scratch)
        notes = await renderer.render(text, voice=voice, speed=speed)
        written = []
        for note in notes:
            path = part_output_path(output, note.part)
            path.write_bytes(note.data)
            written.append((path, note))
    return written
