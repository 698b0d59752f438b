"""SOTAY_TTS_*: `auto` is production's default, the demo always speaks offline, engines of one's own
are named by module path, anything else is refused at start-up."""

import pytest
from pydantic import ValidationError

from sotay.settings import Settings
from voice.engines import EngineConfig

KEY = "x" * 40


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    import os

    for name in list(os.environ):
        if name.startswith("SOTAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_auto_is_the_production_default_and_the_demo_stays_offline(tmp_path) -> None:
    settings = Settings(secret_key=KEY)
    assert settings.tts == EngineConfig("auto", "", 4.0, 300.0)
    assert Settings(demo=True, data_dir=tmp_path / "d").tts.engine == "espeak"
    assert Settings(demo=True, data_dir=tmp_path / "d", tts_engine="gtts").tts.engine == "espeak"


def test_engines_by_name_or_module_and_their_options(monkeypatch) -> None:
    monkeypatch.setenv("SOTAY_TTS_ENGINE", "piper")
    monkeypatch.setenv("SOTAY_TTS_ENGINE_OPTIONS", "/srv/voices/vi.onnx")
    monkeypatch.setenv("SOTAY_TTS_ONLINE_TIMEOUT", "2.5")
    assert Settings(secret_key=KEY).tts == EngineConfig("piper", "/srv/voices/vi.onnx", 2.5, 300.0)
    assert Settings(secret_key=KEY, tts_engine="mycompany.voice_engine:create").tts.engine == "mycompany.voice_engine:create"
    for wrong in ("festival", "rm -rf", "a.b:c:d"):
        with pytest.raises(ValidationError, match="SOTAY_TTS_ENGINE"):
            Settings(secret_key=KEY, tts_engine=wrong)
    with pytest.raises(ValidationError):
        Settings(secret_key=KEY, tts_online_timeout=0)
