"""Files kept on disk by their content: the same bytes are stored once, and never half-written."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def store_by_content(directory: str | Path, data: bytes, *, extension: str) -> Path:
    """`data` under `directory/<sha256[:2]>/<sha256><extension>`, written once (atomically, via a
    temporary file and a rename, so a crash never leaves a truncated file under the real name)."""
    digest = hashlib.sha256(data).hexdigest()
    folder = Path(directory) / digest[:2]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}{extension}"
    if not path.exists():
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    return path
