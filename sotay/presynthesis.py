"""Readings made ahead (core.recordings.presynthesis) as a background job of `sotay run` (role
"worker"): with the process's one renderer, so a tap on the bot in the same process waits for a
rendering under way instead of starting another."""

from __future__ import annotations

import asyncio

from sotay.runtime import Runtime


async def run_presynthesis(runtime: Runtime, stop: asyncio.Event) -> None:
    from core.recordings.presynthesis import Presynthesiser
    from core.resolutions.voice import default_renderer

    settings = runtime.settings
    renderer = runtime.services.get("voice_renderer") or default_renderer(str(settings.voice_cache_dir), settings.tts)
    worker = Presynthesiser(runtime.session_factory, renderer, runtime.clock)
    runtime.services["presynthesiser"] = worker
    await worker.run(stop)
