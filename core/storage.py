"""Files kept on disk by their content: the same bytes are stored once, and never half-written."""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextvars import ContextVar
from pathlib import Path

# Files this unit of work (an API request) wrote for the first time. Its edge (api.deps.get_session)
# removes them when the work fails, so a refused or failed upload leaves nothing behind; a file
# that was already there (the same bytes stored before) is never in the list.
new_files: ContextVar[list[Path] | None] = ContextVar("sotay_new_files", default=None)


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
        written = new_files.get()
        if written is not None:
            written.append(path)
    return path
