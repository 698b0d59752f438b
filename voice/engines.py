"""Speech engines behind one protocol: espeak-ng offline, gTTS when Google is reachable, a
fallback that pairs them (`auto`), and engines in a file of their own (Piper: voice/engine_piper.py).

Adding an engine is one file: a module with a class that has a `name` and
`async synthesize(text, *, voice, speed) -> Pcm`, and a function `create(options: str) -> Speaker`.
`make_speaker("package.module", options=…)` (or a short name in ENGINE_MODULES) imports it only
then, so an engine's optional dependency is never needed by a deployment that does not use it.

espeak-ng comes from the `espeakng-loader` wheel (libespeak-ng 1.52 and its data, with the three
Vietnamese voices), driven through ctypes, so a fresh machine needs no system package. An
`espeak-ng` binary on PATH is the second choice; the text then goes in a file, never on stdin
(espeak-ng corrupts UTF-8 sequences split across its stdin buffer).

gTTS builds the request (URL, RPC body, headers: it tracks Google's format release by release);
sending it is ours, through an injectable HTTP function, because gTTS itself sends with TLS
verification switched off and cannot be pointed at a recorded response.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import io
import logging
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from voice.audio import Pcm, concat, to_mono_float32, trim_silence

log = logging.getLogger(__name__)

VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south")
SPEEDS = ("normal", "slow")
ENGINES = ("espeak", "gtts", "auto", "piper")
EngineName = Literal["espeak", "gtts", "auto", "piper"]
# Engines in a file of their own, by short name: imported lazily by make_speaker.
ENGINE_MODULES: Mapping[str, str] = {"piper": "voice.engine_piper"}
# `auto`: how long Google gets per request before espeak-ng speaks instead, and how long a failure
# is remembered before Google is tried again.
AUTO_TIMEOUT_SECONDS = 4.0
AUTO_RECHECK_SECONDS = 300.0


# Spoken syllables per minute (a written Vietnamese word is one syllable), pauses included, used
# to cut long texts into parts of a few minutes. For an engine that does not state its own
# (`syllables_per_minute` on the speaker): on the slow side, so that parts come out shorter than
# estimated rather than longer.
SYLLABLES_PER_MINUTE: Mapping[str, float] = {"normal": 150, "slow": 110}


class SpeechError(Exception):
    """The engine could not speak this text (unavailable, refused, unknown voice)."""


class Speaker(Protocol):
    """Turns (already normalised) Vietnamese text into mono PCM. May also carry
    `syllables_per_minute: Mapping[str, float]` (by speed) to size long texts' parts."""

    name: str

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm: ...


def speaking_rate(speaker: object, speed: str) -> float:
    """Syllables per minute `speaker` is expected to reach at `speed`, pauses included."""
    rates = getattr(speaker, "syllables_per_minute", None) or SYLLABLES_PER_MINUTE
    return float(rates.get(speed, SYLLABLES_PER_MINUTE[speed]))


def check_voice_and_speed(voice: str, speed: str) -> None:
    if voice not in VOICES:
        raise SpeechError(f"unknown voice {voice!r} (one of {', '.join(VOICES)})")
    if speed not in SPEEDS:
        raise SpeechError(f"unknown speed {speed!r} (one of {', '.join(SPEEDS)})")


# ---------------------------------------------------------------- espeak-ng

# espeak's rate is in words per minute; a Vietnamese word is a syllable. Measured: 145 gives about
# 170 syllables a minute of real speech (pauses included), slower than espeak's 175 default, for
# elderly listeners; "slow" is for members who read Vietnamese poorly.
ESPEAK_RATE = {"normal": 145, "slow": 115}
# Pause between words in units of 10 ms: separates syllables a little more when speaking slowly.
ESPEAK_WORD_GAP = {"normal": 1, "slow": 3}
# Amplitude stays at espeak's default: above it espeak's int16 output clips on loud vowels.
# Loudness is evened out later, in floating point, when the note is encoded.
ESPEAK_VOLUME = 100

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report errors instead of calling exit() inside our process
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_PARAM_RATE, _PARAM_VOLUME, _PARAM_WORDGAP = 1, 2, 7
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _EspeakLibrary:
    """The process-wide libespeak-ng. It keeps global state (voice, parameters, one callback),
    so one lock serialises every synthesis."""

    _instance: _EspeakLibrary | None = None
    _create_lock = threading.Lock()

    def __init__(self) -> None:
        import espeakng_loader

        self.lock = threading.Lock()
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        data_path = espeakng_loader.get_data_path().encode()
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, _INITIALIZE_DONT_EXIT)
        if self.sample_rate <= 0:
            raise SpeechError("libespeak-ng did not initialise")
        self.lib = lib
        self._chunks: list[np.ndarray] = []
        self._callback = _SYNTH_CALLBACK(self._collect)  # referenced for as long as the library may call it
        lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> _EspeakLibrary:
        with cls._create_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, wav: ctypes._Pointer, count: int, _events: int) -> int:  # type: ignore[type-arg]
        if count > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # 0: carry on synthesising

    def synthesize(self, text: str, *, voice: str, rate: int, word_gap: int) -> np.ndarray:
        data = text.encode("utf-8")
        buffer = ctypes.create_string_buffer(data)
        with self.lock:
            self._chunks = []
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechError(f"espeak-ng has no voice {voice}")
            self.lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
            self.lib.espeak_SetParameter(_PARAM_VOLUME, ESPEAK_VOLUME, 0)
            self.lib.espeak_SetParameter(_PARAM_WORDGAP, word_gap, 0)
            status = self.lib.espeak_Synth(buffer, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None)
            self.lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if status != 0:
            raise SpeechError(f"espeak-ng failed to synthesise (status {status})")
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return to_mono_float32(np.concatenate(chunks))


class EspeakSpeaker:
    """espeak-ng: offline, instant, robotic but intelligible; three regional Vietnamese voices."""

    name = "espeak"
    # Measured at ESPEAK_RATE: 170-190 (normal) and 120-135 (slow), depending on how many numbers
    # the text has; the lower ends, so that parts are not longer than planned.
    syllables_per_minute: Mapping[str, float] = {"normal": 170, "slow": 120}

    def __init__(self, *, binary: str | None = None, use_library: bool = True, search_path: bool = True) -> None:
        # binary=None looks for espeak-ng on PATH unless search_path=False (tests that must not see the machine's).
        self.binary = binary or (shutil.which("espeak-ng") if search_path else None)
        self.use_library = use_library

    def _synthesize_blocking(self, text: str, voice: str, speed: str) -> Pcm:
        check_voice_and_speed(voice, speed)
        rate, word_gap = ESPEAK_RATE[speed], ESPEAK_WORD_GAP[speed]
        if self.use_library:
            try:
                library = _EspeakLibrary.get()
            except (OSError, ImportError, SpeechError) as exc:
                if self.binary is None:
                    raise SpeechError(f"espeak-ng is not available: {exc}") from exc
                log.warning("libespeak-ng unavailable (%s); using %s", exc, self.binary)
            else:
                samples = library.synthesize(text, voice=voice, rate=rate, word_gap=word_gap)
                return Pcm(samples, library.sample_rate, self.name)
        if self.binary is None:
            raise SpeechError("espeak-ng is not available: no library and no binary on PATH")
        return self._with_binary(text, voice, rate, word_gap)

    def _with_binary(self, text: str, voice: str, rate: int, word_gap: int) -> Pcm:
        import soundfile

        with tempfile.TemporaryDirectory(prefix="sotay-espeak-") as folder:
            source, target = Path(folder) / "text.txt", Path(folder) / "speech.wav"
            source.write_text(text, encoding="utf-8")
            command = [self.binary or "espeak-ng", "-v", voice, "-s", str(rate), "-g", str(word_gap),
                       "-a", str(ESPEAK_VOLUME), "-b", "1", "-f", str(source), "-w", str(target)]
            try:
                subprocess.run(command, check=True, capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
                samples, sample_rate = soundfile.read(target, dtype="float32", always_2d=True)
            except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
                raise SpeechError(f"espeak-ng binary failed: {exc}") from exc
        return Pcm(to_mono_float32(samples), sample_rate, self.name)

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        return await asyncio.to_thread(self._synthesize_blocking, text, voice, speed)


# ---------------------------------------------------------------- gTTS

GTTS_MAX_CHARS = 100  # Google's limit per request, as gTTS enforces it
# Pauses put back between chunks after trimming each chunk's own silence, by how the chunk ends.
PAUSE_AFTER_SENTENCE, PAUSE_AFTER_CLAUSE, PAUSE_AFTER_WORDS = 0.35, 0.18, 0.06


@dataclass(frozen=True)
class HttpRequest:
    url: str
    body: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


# Sends one request with a timeout in seconds; raises OSError (or a subclass, such as
# requests.ConnectionError) when the network fails.
HttpPost = Callable[[HttpRequest, float], HttpReply]


def requests_post() -> HttpPost:
    """The production HTTP layer: one pooled `requests` session, TLS verified, proxies from the
    environment."""
    import requests

    session = requests.Session()

    def post(request: HttpRequest, timeout: float) -> HttpReply:
        try:
            response = session.post(request.url, data=request.body.encode("utf-8"), headers=dict(request.headers),
                                    timeout=timeout)
        except requests.RequestException as exc:
            raise OSError(f"{type(exc).__name__}: {exc}") from exc
        return HttpReply(response.status_code, response.content, dict(response.headers))

    return post


def build_gtts_request(text: str, *, slow: bool, tld: str = "com") -> HttpRequest:
    """The batchexecute request gTTS would send for `text` (at most GTTS_MAX_CHARS characters)."""
    from gtts import gTTS

    # No pre-processors: they rewrite English abbreviations; our text is already normalised.
    tts = gTTS(text=text, lang="vi", slow=slow, tld=tld, lang_check=False, pre_processor_funcs=[])
    prepared = tts._prepare_requests()
    if len(prepared) != 1:
        raise SpeechError(f"a gTTS chunk became {len(prepared)} requests; chunks must be ≤ {GTTS_MAX_CHARS} characters")
    request = prepared[0]
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    return HttpRequest(url=str(request.url), body=body, headers=dict(request.headers))


_AUDIO_IN_RPC = re.compile(r'jQ1olc","\[\\"(.*)\\"]')


def parse_gtts_response(body: bytes) -> bytes:
    """The MP3 inside Google's batchexecute answer, found exactly as gTTS 2.5 finds it: on each line
    mentioning the "jQ1olc" RPC, the base64 string in its first JSON array."""
    audio = b""
    for line in body.splitlines():
        decoded = line.decode("utf-8", errors="replace")
        if "jQ1olc" not in decoded:
            continue
        found = _AUDIO_IN_RPC.search(decoded)
        if not found:
            raise SpeechError("Google answered without audio")
        audio += base64.b64decode(found.group(1).encode("ascii"))
    if not audio:
        raise SpeechError("Google's answer has no jQ1olc audio")
    return audio


def decode_audio(data: bytes) -> Pcm:
    """MP3 (what Google returns), OGG or WAV bytes → mono PCM, through libsndfile (≥ 1.1 reads MP3)."""
    import soundfile

    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise SpeechError(f"undecodable audio: {exc}") from exc
    return Pcm(to_mono_float32(samples), rate)


_SENTENCE_END = re.compile(r"(?<=[.!?;…])\s+|\n+")
_CLAUSE_END = re.compile(r"(?<=[,:])\s+")


def split_for_gtts(text: str, limit: int = GTTS_MAX_CHARS) -> list[str]:
    """Request-sized chunks (≤ `limit` characters) that end at a sentence end where possible, else
    at a clause end (comma, colon), and only inside a clause too long on its own, where the
    words are shared out evenly. Short sentences travel together: fewer requests, fewer 429s."""
    pieces: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        if not sentence:
            continue
        if len(sentence) <= limit:
            pieces.append(sentence)
            continue
        for clause in (c.strip() for c in _CLAUSE_END.split(sentence)):
            if clause:
                pieces.extend([clause] if len(clause) <= limit else _even_word_cuts(clause, limit))
    return _pack(pieces, limit)


# Words of a spelled-out number (the normaliser writes "2.030" as "hai nghìn không trăm ba mươi"):
# a cut between two of them would split one number across two requests, with a pause inside it.
NUMBER_WORDS = frozenset(
    "không một mốt hai ba bốn tư năm lăm sáu bảy tám chín mười mươi linh lẻ trăm nghìn ngàn triệu tỷ tỉ "
    "phẩy chấm phần".split()
)


def unbreakable_words(text: str) -> list[str]:
    """The words of `text`, each run of number words joined into one (cut only around it)."""
    words: list[str] = []
    for word in text.split():
        bare = word.strip(".,;:!?…()\"'").lower()
        previous = words[-1].split()[-1].strip(".,;:!?…()\"'").lower() if words else ""
        if words and bare in NUMBER_WORDS and previous in NUMBER_WORDS and not words[-1].endswith((",", ".", ";", ":")):
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    return words


def _even_word_cuts(clause: str, limit: int) -> list[str]:
    words = unbreakable_words(clause)
    count = -(-len(clause) // limit)
    while True:
        target = len(clause) / count
        cuts, current = [], ""
        for word in words:
            candidate = f"{current} {word}".strip()
            if len(word) > limit:  # a number longer than a request (rare): only then between its words
                for piece in word.split():
                    candidate = f"{current} {piece}".strip()
                    if current and len(candidate) > limit:
                        cuts.append(current)
                        current = piece
                    else:
                        current = candidate
                continue
            if current and (len(candidate) > limit or len(current) >= target):
                cuts.append(current)
                current = word
            else:
                current = candidate
        cuts.append(current)
        if all(len(cut) <= limit for cut in cuts) or count > len(words):
            return cuts
        count += 1


def _pack(pieces: list[str], limit: int) -> list[str]:
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 1 + len(piece) <= limit:
            chunks[-1] = f"{chunks[-1]} {piece}"
        else:
            chunks.append(piece)
    return chunks


def _pause_after(chunk: str) -> float:
    if chunk.endswith((".", "!", "?", ";", "…")):
        return PAUSE_AFTER_SENTENCE
    if chunk.endswith((",", ":")):
        return PAUSE_AFTER_CLAUSE
    return PAUSE_AFTER_WORDS


class GttsSpeaker:
    """Google Translate's voice through gTTS: natural, online only, rate-limited."""

    name = "gtts"

    def __init__(self, http: HttpPost | None = None, *, timeout: float = 10.0, retries: int = 3, backoff: float = 1.0,
                 max_backoff: float = 30.0, sleep: Callable[[float], None] = time.sleep, tld: str = "com") -> None:
        self.http = http or requests_post()
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.tld = tld
        self.requests_sent = 0

    def _fetch(self, chunk: str, slow: bool) -> bytes:
        request = build_gtts_request(chunk, slow=slow, tld=self.tld)
        for attempt in range(self.retries + 1):
            try:
                self.requests_sent += 1
                reply = self.http(request, self.timeout)
            except (OSError, TimeoutError) as exc:  # offline, DNS, timeout: let the fallback speak now
                raise SpeechError(f"Google unreachable: {exc}") from exc
            if reply.status == 200:
                return parse_gtts_response(reply.body)
            if (reply.status == 429 or reply.status >= 500) and attempt < self.retries:
                delay = self._delay(attempt, reply.headers)
                log.info("gTTS answered %s; retrying in %.1f s", reply.status, delay)
                self.sleep(delay)
                continue
            raise SpeechError(f"gTTS failed with HTTP {reply.status}")
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, headers: Mapping[str, str]) -> float:
        retry_after = {k.lower(): v for k, v in headers.items()}.get("retry-after", "")
        if retry_after.isdigit():
            return min(float(retry_after), self.max_backoff)
        # Exponential with jitter, so several bot instances do not retry in step.
        return min(self.backoff * (2**attempt) * (0.5 + random.random()), self.max_backoff)

    def _synthesize_blocking(self, text: str, voice: str, speed: str) -> Pcm:
        # Google has one Vietnamese voice; the regional choice applies to espeak-ng only.
        check_voice_and_speed(voice, speed)
        chunks = split_for_gtts(text)
        if not chunks:
            raise SpeechError("nothing to say")
        parts = [trim_silence(decode_audio(self._fetch(chunk, speed == "slow"))) for chunk in chunks]
        return concat(parts, [_pause_after(chunk) for chunk in chunks]).spoken_by(self.name)

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        return await asyncio.to_thread(self._synthesize_blocking, text, voice, speed)


# ---------------------------------------------------------------- fallback


class FallbackSpeaker:
    """The primary engine, or the fallback when the primary fails (gTTS offline → espeak-ng).

    After a failure the primary rests for `retry_primary_after` seconds: a deployment that lost
    its internet does not pay a timeout for every part of every note. The returned PCM names the
    engine that actually spoke, so audio is never cached under the wrong engine."""

    def __init__(self, primary: Speaker, fallback: Speaker, *, retry_primary_after: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name
        self.retry_primary_after = retry_primary_after
        self.clock = clock
        self.fallbacks = 0
        self._primary_resting_until = 0.0

    @property
    def syllables_per_minute(self) -> dict[str, float]:
        """The slower engine's pace at each speed, for either may end up speaking."""
        return {speed: min(speaking_rate(self.primary, speed), speaking_rate(self.fallback, speed)) for speed in SPEEDS}

    def speaking_engine(self) -> str:
        """The engine that would speak now: the fallback while the primary rests after a failure
        (the renderer then looks in the cache under its name before synthesising again)."""
        return self.primary.name if self.clock() >= self._primary_resting_until else self.fallback.name

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        check_voice_and_speed(voice, speed)
        if self.clock() >= self._primary_resting_until:
            try:
                pcm = await self.primary.synthesize(text, voice=voice, speed=speed)
                return pcm if pcm.engine else pcm.spoken_by(self.primary.name)
            except Exception as exc:  # noqa: BLE001 - whatever broke, the member still gets a voice note
                self._primary_resting_until = self.clock() + self.retry_primary_after
                log.warning("%s failed (%s); speaking with %s", self.primary.name, exc, self.fallback.name)
        self.fallbacks += 1
        pcm = await self.fallback.synthesize(text, voice=voice, speed=speed)
        return pcm if pcm.engine else pcm.spoken_by(self.fallback.name)


def make_speaker(engine: str = "espeak", *, http: HttpPost | None = None, options: str = "",
                 timeout: float = AUTO_TIMEOUT_SECONDS, recheck_after: float = AUTO_RECHECK_SECONDS) -> Speaker:
    """The speaker a deployment configures: "espeak" (offline), "gtts" (online), "auto" (gTTS with a
    short `timeout`, espeak-ng when Google fails, the failure remembered `recheck_after` seconds),
    "piper" (voice/engine_piper.py, `options`: the .onnx voice file), or any module path whose
    `create(options)` builds a speaker (`package.module` or `package.module:factory`)."""
    if engine == "espeak":
        return EspeakSpeaker()
    if engine == "gtts":
        return GttsSpeaker(http)
    if engine == "auto":
        online = GttsSpeaker(http, timeout=timeout, retries=1, backoff=0.5, max_backoff=2.0)
        return FallbackSpeaker(online, EspeakSpeaker(), retry_primary_after=recheck_after)
    return load_engine(ENGINE_MODULES.get(engine, engine), options)


@dataclass(frozen=True)
class EngineConfig:
    """What a deployment chose (SOTAY_TTS_*): hashable, so one renderer is kept per configuration."""

    engine: str = "espeak"
    options: str = ""
    timeout: float = AUTO_TIMEOUT_SECONDS
    recheck_after: float = AUTO_RECHECK_SECONDS

    def speaker(self, *, http: HttpPost | None = None) -> Speaker:
        return make_speaker(self.engine, http=http, options=self.options, timeout=self.timeout, recheck_after=self.recheck_after)


def load_engine(spec: str, options: str = "") -> Speaker:
    """An engine from its own file: `package.module` (its `create`) or `package.module:factory`."""
    import importlib

    module_name, _, factory_name = spec.partition(":")
    if not re.fullmatch(r"[A-Za-z_]\w*(\.\w+)+", module_name or ""):
        raise ValueError(f"unknown engine {spec!r} (one of {', '.join(ENGINES)}, or a module path)")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SpeechError(f"engine {spec!r} cannot be loaded: {exc}") from exc
    factory = getattr(module, factory_name or "create", None)
    if not callable(factory):
        raise ValueError(f"engine module {module_name!r} has no {factory_name or 'create'}(options)")
    speaker = factory(options)
    if not hasattr(speaker, "synthesize") or not getattr(speaker, "name", ""):
        raise ValueError(f"{spec!r} did not build a speaker (a `name` and `async synthesize(text, *, voice, speed)`)")
    return speaker  # type: ignore[no-any-return]
