"""Mono PCM and the few signal operations voice notes need: resampling, trimming, joining with
pauses, cutting at pauses, and evening out loudness. numpy only, no system audio library."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

_FRAME_SECONDS = 0.01


@dataclass(frozen=True)
class Pcm:
    """Mono float32 samples in [-1, 1] at `sample_rate`, and the engine that spoke them."""

    samples: np.ndarray
    sample_rate: int
    engine: str = ""

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    def spoken_by(self, engine: str) -> Pcm:
        return replace(self, engine=engine)


def to_mono_float32(samples: np.ndarray) -> np.ndarray:
    """Any int16/float, mono or (frames, channels) array → mono float32 in [-1, 1]."""
    array = np.asarray(samples)
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float32) / float(np.iinfo(array.dtype).max + 1)
    if array.ndim == 2:
        array = array.mean(axis=1)
    return np.clip(array.astype(np.float32, copy=False), -1.0, 1.0)


def _smooth_length(n: int) -> int:
    """The smallest 2·3·5-smooth integer ≥ n: FFTs of that length are fast."""
    best = 1 << max(0, (n - 1).bit_length())
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            candidate = power35
            while candidate < n:
                candidate *= 2
            best = min(best, candidate)
            power35 *= 3
        power5 *= 5
    return best


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Band-limited resampling through the spectrum: no aliasing when going down (a 44.1 kHz MP3
    to 24 kHz), no imaging when going up (espeak's 22.05 kHz to 24 kHz). Speech starts and ends
    in silence, so the FFT's circular wrap is inaudible."""
    samples = np.asarray(samples, dtype=np.float32)
    if source_rate == target_rate or len(samples) == 0:
        return samples
    divisor = math.gcd(source_rate, target_rate)
    down, up = source_rate // divisor, target_rate // divisor
    # Pad to a length that divides exactly into the target rate and factors into small primes.
    blocks = _smooth_length(math.ceil(len(samples) / down))
    padded = blocks * down
    out_length = blocks * up
    spectrum = np.fft.rfft(samples, padded)
    bins = out_length // 2 + 1
    if bins <= len(spectrum):
        spectrum = spectrum[:bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins - len(spectrum), dtype=spectrum.dtype)])
    resampled = np.fft.irfft(spectrum, out_length) * (out_length / padded)
    wanted = round(len(samples) * target_rate / source_rate)
    return resampled[:wanted].astype(np.float32)


def frame_levels(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """RMS of consecutive 10 ms frames."""
    frame = max(1, int(sample_rate * _FRAME_SECONDS))
    count = len(samples) // frame
    if count == 0:
        return np.zeros(0, dtype=np.float32)
    frames = samples[: count * frame].reshape(count, frame).astype(np.float64)
    return np.sqrt((frames**2).mean(axis=1)).astype(np.float32)


def _silent(levels: np.ndarray) -> np.ndarray:
    # Relative to the loudest frame, so quiet and loud engines are judged alike; the floor keeps
    # dithering noise in a silent clip from counting as speech.
    threshold = max(float(levels.max(initial=0.0)) * 0.03, 1e-4)
    return levels < threshold


def trim_silence(pcm: Pcm, *, keep_seconds: float = 0.03) -> Pcm:
    """Without leading and trailing silence (MP3 encoder padding, engine lead-in)."""
    levels = frame_levels(pcm.samples, pcm.sample_rate)
    voiced = np.flatnonzero(~_silent(levels)) if len(levels) else np.zeros(0, dtype=int)
    if len(voiced) == 0:
        return replace(pcm, samples=pcm.samples[:0])
    frame = max(1, int(pcm.sample_rate * _FRAME_SECONDS))
    keep = int(pcm.sample_rate * keep_seconds)
    start = max(0, voiced[0] * frame - keep)
    end = min(len(pcm.samples), (voiced[-1] + 1) * frame + keep)
    return replace(pcm, samples=pcm.samples[start:end])


def concat(parts: list[Pcm], pauses: list[float] | None = None) -> Pcm:
    """One PCM: the parts in order at the first part's rate, `pauses[i]` seconds of silence after
    part i (none after the last)."""
    if not parts:
        raise ValueError("nothing to join")
    rate = parts[0].sample_rate
    pieces: list[np.ndarray] = []
    for index, part in enumerate(parts):
        pieces.append(resample(part.samples, part.sample_rate, rate))
        if index < len(parts) - 1:
            gap = pauses[index] if pauses else 0.0
            pieces.append(np.zeros(int(rate * gap), dtype=np.float32))
    return Pcm(np.concatenate(pieces).astype(np.float32), rate, parts[0].engine)


def split_at_pauses(pcm: Pcm, max_seconds: float) -> list[Pcm]:
    """Pieces of at most `max_seconds`, each cut inside a pause in the last 40% of the allowed
    span (the latest of the longest pauses there, so pieces stay long and few), so that no cut
    falls mid-word. The safety net behind text-level splitting, whose duration estimates can be
    wrong for an unexpectedly slow voice."""
    if pcm.seconds <= max_seconds:
        return [pcm]
    frame = max(1, int(pcm.sample_rate * _FRAME_SECONDS))
    levels = frame_levels(pcm.samples, pcm.sample_rate)
    silent = _silent(levels)
    span = int(max_seconds / _FRAME_SECONDS)
    pieces: list[Pcm] = []
    start = 0
    while (len(pcm.samples) - start * frame) > span * frame:
        window_start, window_end = start + int(span * 0.6), start + span
        cut = _late_long_pause(silent[window_start:window_end])
        if cut is None:  # no pause at all: the quietest frame is the least bad place
            cut = int(np.argmin(levels[window_start:window_end]))
        cut += window_start
        pieces.append(replace(pcm, samples=pcm.samples[start * frame : cut * frame]))
        start = cut
    pieces.append(replace(pcm, samples=pcm.samples[start * frame :]))
    return pieces


def _late_long_pause(silent: np.ndarray) -> int | None:
    """The centre of the last silent run at least half as long as the longest one."""
    runs: list[tuple[int, int]] = []  # (start, end) of each silent run
    run_start = None
    for index, quiet in enumerate([*silent.tolist(), False]):
        if quiet and run_start is None:
            run_start = index
        elif not quiet and run_start is not None:
            runs.append((run_start, index))
            run_start = None
    if not runs:
        return None
    longest = max(end - begin for begin, end in runs)
    begin, end = [run for run in runs if run[1] - run[0] >= longest / 2][-1]
    return (begin + end) // 2


def even_loudness(samples: np.ndarray, sample_rate: int, *, target_rms: float = 0.1, peak: float = 0.89,
                  max_gain: float = 8.0) -> np.ndarray:
    """Speech at a steady loudness (about -20 dBFS over the voiced frames) so quiet engines are
    lifted for cheap phone speakers, without ever clipping (peak about -1 dBFS)."""
    if len(samples) == 0:
        return samples.astype(np.float32)
    levels = frame_levels(samples, sample_rate)
    voiced = levels[~_silent(levels)] if len(levels) else levels
    loudest = float(np.abs(samples).max())
    if len(voiced) == 0 or loudest == 0.0:
        return samples.astype(np.float32)
    active_rms = float(np.sqrt((voiced.astype(np.float64) ** 2).mean()))
    gain = min(target_rms / active_rms, peak / loudest, max_gain)
    return (samples * gain).astype(np.float32)
