"""An engine in a file of its own, as an operator would add one: a class with `name` and
`synthesize`, and `create(options)`. It hums one tone per word (options: the pitch in Hz)."""

from __future__ import annotations

import numpy as np

from voice.audio import Pcm

RATE = 16_000


class HummingSpeaker:
    name = "humming"
    syllables_per_minute = {"normal": 200.0, "slow": 120.0}

    def __init__(self, pitch: float) -> None:
        self.pitch = pitch
        self.texts: list[str] = []

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        self.texts.append(text)
        word = 0.3 if speed == "normal" else 0.5
        tone = np.sin(2 * np.pi * self.pitch * np.arange(int(RATE * word)) / RATE).astype(np.float32) * 0.3
        gap = np.zeros(int(RATE * 0.1), dtype=np.float32)
        return Pcm(np.concatenate([np.concatenate([tone, gap]) for _ in text.split()]), RATE)


def create(options: str) -> HummingSpeaker:
    return HummingSpeaker(float(options or 220))
