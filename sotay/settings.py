"""Deployment settings: environment variables prefixed SOTAY_, or a .env file.

Validated at start-up with messages an operator can act on.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.clock import DEFAULT_TIMEZONE
from core.crypto import MIN_SECRET_KEY_LENGTH, FieldCipher
from core.tick_context import TickContext
from voice.engines import ENGINES, EngineConfig

TELEGRAM_API_BASE = "https://api.telegram.org"
# Settings that may come from a file (Docker and Kubernetes secrets): SOTAY_SECRET_KEY_FILE=/run/secrets/key
# instead of SOTAY_SECRET_KEY=…, so the value never sits in the environment or in compose files.
FILE_SETTINGS = ("secret_key", "old_secret_keys", "database_url", "redis_url", "telegram_token", "webhook_secret", "metrics_token",
                 "zalo_token", "zalo_webhook_secret")
# Drivers the async engine runs on, and what people write instead.
_DATABASE_DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}
_DATABASE_FIXES = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg", "postgresql+psycopg2": "postgresql+asyncpg",
                   "postgresql+psycopg": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}
ZALO_API_BASE = "https://bot-api.zapps.me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOTAY_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    telegram_token: SecretStr | None = None
    telegram_api_base: str = TELEGRAM_API_BASE
    bot_username: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    secret_key: SecretStr | None = None
    # Keys still readable besides SECRET_KEY, comma-separated: the ones a rotation moves away from
    # (`sotay keys rotate`), or during a rolling restart the incoming one. Never written with.
    old_secret_keys: SecretStr | None = None
    timezone: str = DEFAULT_TIMEZONE  # shown, parsed and reminded in; core reads it via core.clock.local_tz
    demo: bool = False
    log_level: str = "INFO"
    log_json: bool = False
    metrics_token: SecretStr | None = None  # /metrics from other machines; without it, loopback only

    # Zalo Bot Platform (no buttons, no voice or files: numbered choices and signed links instead).
    zalo_token: SecretStr | None = None
    zalo_api_base: str = ZALO_API_BASE
    zalo_webhook_url: str | None = None  # public URL of /zalo/webhook; unset → long polling
    zalo_webhook_secret: SecretStr | None = None  # echoed by Zalo in X-Bot-Api-Secret-Token
    # Where members' browsers reach this server (listen and download links sent on Zalo);
    # unset → http://SOTAY_HTTP_HOST:SOTAY_HTTP_PORT.
    public_url: str | None = None
    media_link_hours: float = Field(72.0, gt=0)  # how long a listen/download link stays valid
    # Zalo publishes no rate limits: conservative defaults, per bot and per chat.
    zalo_send_rate_per_second: float = Field(10.0, gt=0)
    zalo_send_rate_per_chat: float = Field(1.0, gt=0)
    zalo_send_burst_per_chat: int = Field(3, ge=1)

    # Delivery (Telegram: ~30 messages/s per bot, about 1/s per chat).
    send_rate_per_second: float = Field(30.0, gt=0)
    send_rate_per_chat: float = Field(1.0, gt=0)
    send_burst_per_chat: int = Field(3, ge=1)
    delivery_batch_size: int = Field(100, ge=1)
    # Sends on their way at once. The rate budget, not this, sets the pace; this must cover the pace ×
    # the platform's answer time (60 keeps 30/s while answers take up to 2 s on a loaded machine).
    delivery_concurrency: int = Field(60, ge=1)
    delivery_max_attempts: int = Field(8, ge=1)
    # Paid broadcasts (Telegram's allow_paid_broadcast): the price of one message in Stars, e.g. 0.1;
    # unset or 0 = off. When set, urgent notices of a committee may be sent at up to
    # SOTAY_PAID_BROADCAST_RATE messages a second (Telegram: 1,000), each paid from the bot's Stars
    # balance; nothing else ever is (docs/delivery.md, Paid broadcasts).
    paid_broadcast: Decimal | None = Field(None, ge=0, le=1000, decimal_places=4)
    paid_broadcast_rate: float = Field(1000.0, gt=0, le=1000)

    @property
    def paid_broadcast_price(self) -> Decimal | None:
        """Stars per paid message, or None when paid broadcasts are off."""
        return self.paid_broadcast if self.paid_broadcast else None

    # Scheduling.
    tick_seconds: float = Field(15.0, gt=0)
    # «No recording yet» (docs/voices.md): the publisher of a document with listeners and no person's
    # recording is reminded once, this many minutes after publishing, within this many days of it.
    recording_reminder_minutes: float = Field(TickContext.recording_reminder_delay.total_seconds() / 60, gt=0, le=7 * 24 * 60)
    recording_reminder_window_days: float = Field(TickContext.recording_reminder_window.total_seconds() / 86400, gt=0, le=365)

    @model_validator(mode="after")
    def _reminder_window_after_delay(self) -> Settings:
        if self.recording_reminder_window_days * 24 * 60 <= self.recording_reminder_minutes:
            raise ValueError("SOTAY_RECORDING_REMINDER_WINDOW_DAYS must be longer than SOTAY_RECORDING_REMINDER_MINUTES")
        return self

    def tick_context(self, now: dt.datetime) -> TickContext:
        """What every periodic job is given at `now`, with the timings set here."""
        return TickContext(now=now, tz=self.tz, recording_reminder_delay=dt.timedelta(minutes=self.recording_reminder_minutes),
                           recording_reminder_window=dt.timedelta(days=self.recording_reminder_window_days),
                           voice_cache_dir=self.voice_cache_dir, voice_cache_max_bytes=int(self.voice_cache_max_mb * 1024 * 1024),
                           voice_cache_keep=dt.timedelta(hours=self.voice_cache_keep_hours))

    # Voice.
    # "auto" (production): Google's voice through gTTS when reachable, espeak-ng when not, decided
    # per request within tts_online_timeout and remembered tts_recheck_seconds. "espeak": offline
    # (the demo and tests). "gtts", "piper" (tts_engine_options: the .onnx voice file, docs/voices.md)
    # or a module path of an engine of one's own.
    tts_engine: str = Field("auto", min_length=2, max_length=200)
    tts_engine_options: str = ""
    tts_online_timeout: float = Field(4.0, gt=0, le=60)
    tts_recheck_seconds: float = Field(300.0, ge=0)
    # The audio cache (DATA_DIR/audio, synthetic voice only; people's recordings are elsewhere and
    # never pruned): the scheduler evicts the least recently used notes while it holds more than
    # this, never one used in the last voice_cache_keep_hours (docs/voices.md, The audio cache).
    voice_cache_max_mb: float = Field(TickContext.voice_cache_max_bytes / 1024 / 1024, gt=0)
    voice_cache_keep_hours: float = Field(TickContext.voice_cache_keep.total_seconds() / 3600, ge=0, le=24 * 365)

    @property
    def voice_cache_dir(self) -> Path:
        """Where the synthetic voice notes are cached (voice.cache), for every process."""
        return self.data_dir / "audio"

    @property
    def tts(self) -> EngineConfig:
        """The speech engine as configured; the demo always speaks offline."""
        engine = "espeak" if self.demo else self.tts_engine
        return EngineConfig(engine, self.tts_engine_options, self.tts_online_timeout, self.tts_recheck_seconds)

    @field_validator("tts_engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if value in ENGINES or re.fullmatch(r"[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?", value) and "." in value:
            return value
        raise ValueError(f"SOTAY_TTS_ENGINE: one of {', '.join(ENGINES)}, or an engine module (package.module)")

    @model_validator(mode="before")
    @classmethod
    def _values_from_files(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        for name in FILE_SETTINGS:
            variable = f"SOTAY_{name.upper()}_FILE"
            path = os.environ.get(variable)
            if not path:
                continue
            if data.get(name):
                raise ValueError(f"set SOTAY_{name.upper()} or {variable}, not both")
            try:
                data[name] = Path(path).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(f"{variable}: cannot read {path} ({exc.strerror or type(exc).__name__})") from None
        return data

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str | None) -> str | None:
        """One clear line for the usual mistakes; the URL itself (with its password) is never repeated."""
        if not value:
            return None
        scheme, separator, rest = value.partition("://")
        if not separator:
            raise ValueError("SOTAY_DATABASE_URL is not a URL (expected postgresql+asyncpg://user:password@host:5432/name)")
        if scheme in _DATABASE_FIXES:
            raise ValueError(f"SOTAY_DATABASE_URL: use {_DATABASE_FIXES[scheme]}://… (the async driver) instead of {scheme}://…")
        if scheme not in _DATABASE_DRIVERS:
            raise ValueError(f"SOTAY_DATABASE_URL: {scheme}:// is not supported; use postgresql+asyncpg://… or sqlite+aiosqlite:///…")
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except (ArgumentError, ValueError):
            raise ValueError(f"SOTAY_DATABASE_URL is not a valid {scheme}:// URL") from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("SOTAY_REDIS_URL must start with redis://, rediss:// or unix://")
        return value or None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}' (use an IANA name such as Asia/Ho_Chi_Minh)") from exc
        return value

    @field_validator("telegram_api_base", "zalo_api_base", "public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _check_secrets(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("SOTAY_WEBHOOK_SECRET is required when SOTAY_WEBHOOK_URL is set")
        if self.webhook_secret and len(self.webhook_secret.get_secret_value()) < 16:
            raise ValueError("SOTAY_WEBHOOK_SECRET must be at least 16 characters (Telegram allows A-Z a-z 0-9 _ -)")
        if self.zalo_webhook_url and not self.zalo_webhook_secret:
            raise ValueError("SOTAY_ZALO_WEBHOOK_SECRET is required when SOTAY_ZALO_WEBHOOK_URL is set")
        if self.zalo_webhook_secret and len(self.zalo_webhook_secret.get_secret_value()) < 16:
            raise ValueError("SOTAY_ZALO_WEBHOOK_SECRET must be at least 16 characters")
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if not self.demo:
            if not key:
                raise ValueError(
                    "SOTAY_SECRET_KEY is required: it encrypts citizen IDs and phones. "
                    "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
            if len(key) < MIN_SECRET_KEY_LENGTH:
                raise ValueError(f"SOTAY_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
        if any(len(old) < MIN_SECRET_KEY_LENGTH for old in self.old_secret_key_values()):
            raise ValueError(f"each of SOTAY_OLD_SECRET_KEYS must be at least {MIN_SECRET_KEY_LENGTH} characters")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'sotay.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        """Files people sent or uploaded (resolution originals, meeting documents, notice files),
        for the bot and the API alike."""
        return self.data_dir / "files"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def secret_key_value(self) -> str:
        """The encryption key; in the demo, one is generated once and kept in DATA_DIR."""
        if self.secret_key and len(self.secret_key.get_secret_value()) >= MIN_SECRET_KEY_LENGTH:
            return self.secret_key.get_secret_value()
        key_file = self.data_dir / "demo-secret.key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()

    def old_secret_key_values(self) -> list[str]:
        raw = self.old_secret_keys.get_secret_value() if self.old_secret_keys else ""
        return [key.strip() for key in raw.split(",") if key.strip()]

    def field_cipher(self) -> FieldCipher:
        """Writes with SECRET_KEY, reads with it and every old key (a rotation in progress)."""
        return FieldCipher(self.secret_key_value(), old_keys=self.old_secret_key_values())

    @property
    def polling(self) -> bool:
        return not self.webhook_url

    @property
    def zalo_polling(self) -> bool:
        return not self.zalo_webhook_url

    @property
    def resolved_public_url(self) -> str:
        """The address members' phones open for listen and download links."""
        return self.public_url or f"http://{self.http_host}:{self.http_port}"

    @property
    def platforms(self) -> list[str]:
        """The messengers this deployment speaks, by which tokens are set."""
        return [name for name, token in (("telegram", self.telegram_token), ("zalo", self.zalo_token)) if token is not None]


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
