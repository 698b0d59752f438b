import pytest
from pydantic import ValidationError

from sotay.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    import os

    for name in list(os.environ):
        if name.startswith("SOTAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_secret_key_required_outside_demo() -> None:
    with pytest.raises(ValidationError, match="SOTAY_SECRET_KEY is required"):
        Settings()
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(secret_key="short")


def test_demo_generates_and_keeps_a_key(tmp_path) -> None:
    settings = Settings(demo=True, data_dir=tmp_path / "d")
    key = settings.secret_key_value()
    assert len(key) >= 32 and key == Settings(demo=True, data_dir=tmp_path / "d").secret_key_value()


def test_defaults_and_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SOTAY_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("SOTAY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOTAY_TELEGRAM_API_BASE", "http://127.0.0.1:8081/")
    settings = Settings()
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{(tmp_path / 'data' / 'sotay.db').resolve()}"
    assert settings.telegram_api_base == "http://127.0.0.1:8081"
    assert (settings.http_host, settings.http_port, settings.timezone) == ("127.0.0.1", 8080, "Asia/Ho_Chi_Minh")
    assert settings.polling
    assert "x" * 40 not in repr(settings)  # secrets never printed


def test_env_file_is_read(tmp_path) -> None:
    (tmp_path / ".env").write_text("SOTAY_SECRET_KEY=" + "k" * 40 + "\nSOTAY_HTTP_PORT=9090\n")
    assert Settings().http_port == 9090


def test_webhook_needs_a_secret_and_bad_timezone_is_named() -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET is required"):
        Settings(demo=True, webhook_url="https://x.vn/telegram/webhook")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(demo=True, timezone="Asia/Hanoi_City")
