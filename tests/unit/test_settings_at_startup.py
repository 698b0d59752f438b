"""Start-up checks an operator can act on (issue 18, item 10): the database URL in one clear line,
secrets from files (`SOTAY_*_FILE`), and a port already in use as one line instead of a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from core.crypto import FieldCipher
from pydantic import ValidationError

from sotay.settings import Settings

KEY = "k" * 48


def _refusal(**values: object) -> str:
    with pytest.raises(ValidationError) as refused:
        Settings(secret_key=KEY, **values)  # type: ignore[arg-type]
    return refused.value.errors()[0]["msg"]


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://sotay:hunter2@db:5432/sotay", "use postgresql+asyncpg://… (the async driver) instead of postgresql://…"),
        ("postgres://sotay:hunter2@db/sotay", "use postgresql+asyncpg://… (the async driver) instead of postgres://…"),
        ("sqlite:///data/sotay.db", "use sqlite+aiosqlite://… (the async driver) instead of sqlite://…"),
        ("mysql+aiomysql://sotay:hunter2@db/sotay", "mysql+aiomysql:// is not supported"),
        ("db.example.vn:5432", "is not a URL"),
    ],
)
def test_a_wrong_database_url_is_one_clear_line_without_the_password(url: str, said: str) -> None:
    message = _refusal(database_url=url)
    assert said in message and "hunter2" not in message and "\n" not in message


def test_the_async_urls_are_taken() -> None:
    assert Settings(secret_key=KEY, database_url="postgresql+asyncpg://sotay:pw@db:5432/sotay").database_url.startswith("postgresql+asyncpg")
    assert Settings(secret_key=KEY, redis_url="redis://cache:6379/0").redis_url == "redis://cache:6379/0"
    assert "redis://" in _refusal(redis_url="cache:6379")


def test_secrets_come_from_files(monkeypatch, tmp_path) -> None:
    (tmp_path / "key").write_text(KEY + "\n")
    (tmp_path / "db").write_text("postgresql+asyncpg://sotay:from-file@db/sotay")
    (tmp_path / "token").write_text("42:TOKEN_from_file_abcdefghijklmnopqrstuvwxyz")
    monkeypatch.setenv("SOTAY_SECRET_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("SOTAY_DATABASE_URL_FILE", str(tmp_path / "db"))
    monkeypatch.setenv("SOTAY_TELEGRAM_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.delenv("SOTAY_SECRET_KEY", raising=False)
    settings = Settings()
    assert settings.secret_key is not None and settings.secret_key.get_secret_value() == KEY
    assert settings.database_url == "postgresql+asyncpg://sotay:from-file@db/sotay"
    assert settings.telegram_token is not None and settings.telegram_token.get_secret_value().startswith("42:")


def test_old_keys_for_a_rotation_come_from_a_file_and_are_checked(monkeypatch, tmp_path) -> None:
    old_one, old_two = "o" * 40, "p" * 40
    (tmp_path / "old").write_text(f"{old_one},\n {old_two}\n")
    monkeypatch.setenv("SOTAY_OLD_SECRET_KEYS_FILE", str(tmp_path / "old"))
    settings = Settings(secret_key=KEY)
    assert settings.old_secret_key_values() == [old_one, old_two]
    cipher = settings.field_cipher()
    blob = FieldCipher(old_two).encrypt("0912345602", context="phone")
    assert cipher.decrypt(blob, context="phone") == "0912345602" and cipher.key_id == FieldCipher(KEY).key_id
    monkeypatch.delenv("SOTAY_OLD_SECRET_KEYS_FILE")
    assert "SOTAY_OLD_SECRET_KEYS" in _refusal(old_secret_keys="too-short")


def test_a_secret_file_that_cannot_be_read_or_a_doubled_secret_is_named(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SOTAY_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ValidationError, match=r"SOTAY_SECRET_KEY_FILE: cannot read .*missing \(No such file or directory\)"):
        Settings()
    (tmp_path / "key").write_text(KEY)
    monkeypatch.setenv("SOTAY_SECRET_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("SOTAY_SECRET_KEY", KEY)
    with pytest.raises(ValidationError, match="set SOTAY_SECRET_KEY or SOTAY_SECRET_KEY_FILE, not both"):
        Settings()


def test_a_port_already_in_use_is_one_clear_line(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOTAY_")}
        env.update(SOTAY_SECRET_KEY=KEY, SOTAY_DATA_DIR=str(tmp_path), SOTAY_HTTP_PORT=str(port), SOTAY_HTTP_HOST="127.0.0.1")
        done = subprocess.run([sys.executable, "-m", "sotay.cli", "run", "--only", "api"], env=env, capture_output=True, text=True,
                              timeout=120, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line or f":{port}" in line and "cannot" in line]
    assert errors == [f"cannot listen on 127.0.0.1:{port}: the address is already in use (another sotay or another program; "
                      f"stop it or set SOTAY_HTTP_PORT)"], done.stderr
