"""On-disk audio cache: one synthesis per (spoken text, engine, voice, speed)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def cache_key(spoken_text: str, *, engine: str, voice: str, speed: str) -> str:
    return hashlib.sha256(f"{engine}\x00{voice}\x00{speed}\x00{spoken_text}".encode()).hexdigest()


class AudioCache:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str, part: int = 0) -> Path:
        return self.directory / key[:2] / f"{key}.{part}.ogg"

    def get(self, key: str, part: int = 0) -> bytes | None:
        path = self.path_for(key, part)
        return path.read_bytes() if path.exists() else None

    def put(self, key: str, data: bytes, part: int = 0) -> Path:
        path = self.path_for(key, part)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, two writers never mix bytes.
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
        return path
