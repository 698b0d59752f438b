"""Where the bot keeps files it was sent (resolution originals, meeting documents)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def files_dir(given: Path | str | None, settings: Any) -> Path:
    """The `files_dir` service when the dispatcher was given one (tests), else the settings' one
    (DATA_DIR/files, which the API uses too)."""
    if given is not None:
        return Path(given)
    if settings is not None:
        return Path(settings.files_dir)
    return Path("data") / "files"
