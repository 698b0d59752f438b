"""Core's MediaLinks as the adapter's MediaPublisher: publishing writes files, so it runs in a thread."""

from __future__ import annotations

import asyncio
from typing import Any


class LinkPublisher:
    def __init__(self, links: Any) -> None:  # core.media_links.MediaLinks
        self.links = links

    async def publish(self, *, kind: str, path: str | None = None, data: bytes | None = None, filename: str | None = None,
                      title: str | None = None, text: str | None = None) -> str:
        return await asyncio.to_thread(
            self.links.publish, kind=kind, path=path, data=data if path is None else None, filename=filename, title=title or "", text=text or "",
        )
