"""Short, signed, expiring links to voice notes, documents and photos, for channels that cannot
send them (Zalo's bot API sends text and image links only).

`MediaLinks.publish(...)` stores the content once under `store_dir` by its SHA-256 (the same voice
note for 900 members is one file), writes a small sidecar with what the page shows (title, text,
file name), and returns `{public_url}/m/{token}`. The token is

    {link id: 16 base32 chars}.{expiry: unix seconds, base36}.{HMAC-SHA256, first 16 bytes, base64url}

— 47 URL-safe characters. The HMAC key is derived from the app's secret (HKDF, purpose
"media-links"), so nobody can mint or stretch a link without it, and a link dies at its expiry
whatever the page does. `open(token)` answers the content's `MediaRef`, or None when the token is
forged, malformed, expired, or its content was pruned.

Audio is served twice: OGG/Opus (Android, desktop) and, because Safari on iPhone does not play
OGG/Opus everywhere, MP3 when this machine's libsndfile writes MPEG, else WAV. Each variant is
converted once, on first request, and kept beside the original.

No web framework here: api/routes/media.py serves the pages and files.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.clock import Clock, SystemClock
from core.crypto import derive_key

MediaKind = Literal["voice", "audio", "document", "photo"]
AudioFormat = Literal["ogg", "mp3", "wav"]
KINDS: tuple[str, ...] = ("voice", "audio", "document", "photo")
AUDIO_MIME = {"ogg": "audio/ogg", "mp3": "audio/mpeg", "wav": "audio/wav"}
_ID_LENGTH = 16
_SIG_BYTES = 16
_TOKEN = re.compile(r"^([a-z2-7]{16})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})$")
_SAFE_NAME = re.compile(r"[^\w.\- ()\[\]]+", re.UNICODE)


@dataclass(frozen=True)
class MediaRef:
    """What a valid link points to."""

    link_id: str
    kind: MediaKind
    title: str
    text: str
    filename: str | None
    mime_type: str | None
    expires_at: dt.datetime
    path: Path  # the stored content
    size: int

    @property
    def is_audio(self) -> bool:
        return self.kind in ("voice", "audio")


def safari_audio_format() -> AudioFormat:
    """MP3 when libsndfile here can write MPEG layer III (libsndfile ≥ 1.1 with LAME), else WAV/PCM."""
    try:
        import soundfile

        if "MP3" in soundfile.available_formats() and "MPEG_LAYER_III" in soundfile.available_subtypes("MP3"):
            return "mp3"
    except (ImportError, OSError):
        pass
    return "wav"


class MediaLinks:
    def __init__(
        self, secret: bytes, public_url: str, store_dir: Path, ttl: dt.timedelta, *, clock: Clock | None = None,
        old_secrets: Sequence[bytes] = (),
    ) -> None:
        if ttl <= dt.timedelta(0):
            raise ValueError("a link must live a while")
        self._key = derive_key(secret, "media-links")
        # Links signed before a key rotation stay valid until they expire.
        self._verify_keys = [self._key, *(derive_key(old, "media-links") for old in old_secrets)]
        self.public_url = public_url.rstrip("/")
        self.store_dir = Path(store_dir)
        self.ttl = ttl
        self.clock = clock or SystemClock()
        self._convert_lock = threading.Lock()

    # ------------------------------------------------------------ publishing

    def publish(
        self,
        *,
        kind: MediaKind,
        data: bytes | None = None,
        path: str | os.PathLike[str] | None = None,
        filename: str | None = None,
        mime_type: str | None = None,
        title: str = "",
        text: str = "",
    ) -> str:
        """Store the content (once per content) and return a link to its page, valid for `ttl`."""
        if kind not in KINDS:
            raise ValueError(f"unknown media kind {kind!r}")
        if (data is None) == (path is None):
            raise ValueError("give exactly one of data or path")
        digest = self._store_content(data=data, path=path)
        meta = {"kind": kind, "content": digest, "title": title, "text": text, "filename": filename, "mime_type": mime_type}
        encoded = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode()
        link_id = base64.b32encode(hashlib.sha256(encoded).digest()).decode().lower()[:_ID_LENGTH]
        sidecar = self._links_dir() / f"{link_id}.json"
        if not sidecar.exists():
            _write_atomically(sidecar, encoded)
        return f"{self.public_url}/m/{self.token_for(link_id)}"

    def token_for(self, link_id: str, *, expires_at: dt.datetime | None = None) -> str:
        expiry = int((expires_at or self.clock.now() + self.ttl).timestamp())
        body = f"{link_id}.{_base36(expiry)}"
        return f"{body}.{self._sign(body)}"

    # ------------------------------------------------------------ opening

    def open(self, token: str) -> MediaRef | None:
        """The content behind a genuine, unexpired link; None for anything else."""
        parsed = self._verify(token)
        if parsed is None:
            return None
        link_id, expires_at = parsed
        if self.clock.now() >= expires_at:
            return None
        return self._load(link_id, expires_at)

    def expired(self, token: str) -> bool:
        """True for a genuine link past its expiry (the page says so politely); False otherwise."""
        parsed = self._verify(token)
        return parsed is not None and self.clock.now() >= parsed[1]

    def audio_file(self, ref: MediaRef, fmt: AudioFormat) -> Path | None:
        """The audio in `fmt`, converted once and cached beside the original; None if not audio or
        the content cannot be decoded."""
        if not ref.is_audio or fmt not in AUDIO_MIME:
            return None
        if fmt == "ogg" and _is_ogg_opus(ref.path):
            return ref.path
        target = ref.path.with_suffix(f".{fmt}")
        if target.exists():
            return target
        with self._convert_lock:
            if not target.exists():
                try:
                    _write_atomically(target, _convert(ref.path, fmt))
                except Exception:  # undecodable upload: the page offers the original as a download
                    return None
        return target

    # ------------------------------------------------------------ internals

    def _sign(self, body: str, key: bytes | None = None) -> str:
        mac = hmac.new(key or self._key, body.encode(), hashlib.sha256).digest()[:_SIG_BYTES]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def _verify(self, token: str) -> tuple[str, dt.datetime] | None:
        match = _TOKEN.match(token or "")
        if match is None:
            return None
        link_id, expiry, signature = match.groups()
        body = f"{link_id}.{expiry}"
        if not any(hmac.compare_digest(self._sign(body, key), signature) for key in self._verify_keys):
            return None
        try:
            expires_at = dt.datetime.fromtimestamp(int(expiry, 36), dt.timezone.utc)
        except (OverflowError, ValueError, OSError):
            return None
        return link_id, expires_at

    def _load(self, link_id: str, expires_at: dt.datetime) -> MediaRef | None:
        try:
            meta = json.loads((self._links_dir() / f"{link_id}.json").read_bytes())
            content = self._blobs_dir() / meta["content"]
            size = content.stat().st_size
        except (OSError, ValueError, KeyError):
            return None
        return MediaRef(
            link_id=link_id, kind=meta["kind"], title=meta.get("title") or "", text=meta.get("text") or "",
            filename=meta.get("filename"), mime_type=meta.get("mime_type"), expires_at=expires_at, path=content, size=size,
        )

    def _store_content(self, *, data: bytes | None, path: str | os.PathLike[str] | None) -> str:
        blobs = self._blobs_dir()
        if data is not None:
            digest = hashlib.sha256(data).hexdigest()
            if not (blobs / digest).exists():
                _write_atomically(blobs / digest, data)
            return digest
        assert path is not None
        hasher = hashlib.sha256()
        with open(path, "rb") as source:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                hasher.update(chunk)
        digest = hasher.hexdigest()
        if not (blobs / digest).exists():
            handle, temporary = tempfile.mkstemp(dir=blobs, prefix=".tmp-")
            os.close(handle)
            shutil.copyfile(path, temporary)
            os.replace(temporary, blobs / digest)
        return digest

    def _blobs_dir(self) -> Path:
        folder = self.store_dir / "blobs"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _links_dir(self) -> Path:
        folder = self.store_dir / "links"
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
        if value == 0:
            return out


def _is_ogg_opus(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(64)
    return head.startswith(b"OggS") and b"OpusHead" in head


def _convert(source: Path, fmt: AudioFormat) -> bytes:
    import soundfile

    samples, rate = soundfile.read(str(source), dtype="float32", always_2d=True)
    if samples.shape[1] > 1:
        samples = samples.mean(axis=1, keepdims=True)
    buffer = io.BytesIO()
    if fmt == "mp3":
        soundfile.write(buffer, samples, rate, format="MP3", subtype="MPEG_LAYER_III")
    elif fmt == "ogg":
        if rate not in (8000, 12000, 16000, 24000, 48000):
            from voice.audio import resample

            samples, rate = resample(samples[:, 0], rate, 48000).reshape(-1, 1), 48000
        soundfile.write(buffer, samples, rate, format="OGG", subtype="OPUS")
    else:
        soundfile.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name fit for a download header and a page: no path, no control characters."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    cleaned = _SAFE_NAME.sub("_", base).strip(". ")
    return cleaned[:120] or fallback
