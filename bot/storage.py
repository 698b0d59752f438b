"""Where the bot keeps files it was sent (resolution originals, meeting documents)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def files_dir(given: Path | str | None, settings: Any) -> Path:
    """The `files_dir` service when the dispatcher was given one (tests), else DATA_DIR/files —
    the same folder the API reads (api.routes.documents.files_dir_of)."""
    if given is not None:
        return Path(given)
    if settings is not None and getattr(settings, "data_dir", None) is not None:
        return Path(settings.data_dir) / "files"
    return Path("data") / "files"
