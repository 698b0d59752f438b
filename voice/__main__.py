"""`python -m voice normalize TEXT` and `python -m voice say TEXT -o FILE.ogg`: the same commands
as `sotay voice …`, for trying the library without the rest of the project."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from voice.cli import normalize_command, say_command
from voice.engines import ENGINES, SPEEDS, VOICES, SpeechError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voice", description="Vietnamese text to speech.")
    commands = parser.add_subparsers(dest="command", required=True)
    normalize_parser = commands.add_parser("normalize", help="print the spoken form of a text")
    normalize_parser.add_argument("text")
    normalize_parser.add_argument("--abbreviations", type=Path, help="TSV file merged over the default dictionary")
    say = commands.add_parser("say", help="speak a text into an OGG/Opus voice note")
    say.add_argument("text")
    say.add_argument("-o", "--output", type=Path, required=True)
    say.add_argument("--engine", choices=ENGINES, default="espeak")
    say.add_argument("--voice", choices=VOICES, default="vi")
    say.add_argument("--speed", choices=SPEEDS, default="normal")
    args = parser.parse_args(argv)

    if args.command == "normalize":
        print(normalize_command(args.text, abbreviations_file=args.abbreviations))
        return 0
    try:
        written = asyncio.run(say_command(args.text, args.output, args.engine, args.voice, args.speed))
    except SpeechError as exc:
        print(f"could not speak: {exc}", file=sys.stderr)
        return 1
    for path, note in written:
        print(f"{path}  {note.duration_seconds:.1f} s  {len(note.data) // 1024} KiB  ({note.engine})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
