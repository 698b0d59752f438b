"""What the API needs from the composition root, as typed protocols: `sotay.runtime.Runtime` and
`sotay.settings.Settings` provide them, and api never imports sotay (issue 21: the composition root
hands api what it needs)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.clock import Clock
from core.crypto import FieldCipher

if TYPE_CHECKING:
    from core.media_links import MediaLinks
    from voice.engines import EngineConfig


class ApiSettings(Protocol):
    """The settings the API reads."""

    @property
    def bot_username(self) -> str | None: ...

    @property
    def data_dir(self) -> Path: ...

    @property
    def files_dir(self) -> Path: ...

    @property
    def redis_url(self) -> str | None: ...

    @property
    def metrics_token(self) -> SecretStr | None: ...

    @property
    def tts_engine(self) -> str: ...

    @property
    def tts(self) -> EngineConfig: ...

    @property
    def telegram_token(self) -> SecretStr | None: ...

    @property
    def paid_broadcast_price(self) -> Decimal | None: ...


class ApiRuntime(Protocol):
    """The long-lived objects the API serves with (one per process, built by sotay)."""

    @property
    def settings(self) -> ApiSettings: ...

    @property
    def engine(self) -> AsyncEngine: ...

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def cipher(self) -> FieldCipher: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def services(self) -> dict[str, Any]: ...

    @property
    def media_links(self) -> MediaLinks: ...
