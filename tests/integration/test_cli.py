"""The `sotay` command: the contract operators and scripts rely on."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sotay.cli import app

FIXTURE = Path(__file__).parent.parent / "fixtures" / "commune.csv"


@pytest.fixture
def env(tmp_path, monkeypatch):
    for name in ("SOTAY_DATABASE_URL", "SOTAY_TELEGRAM_TOKEN", "SOTAY_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return {"SOTAY_DATA_DIR": str(tmp_path / "data"), "SOTAY_SECRET_KEY": "cli-secret-key-0123456789-0123456789",
            "SOTAY_BOT_USERNAME": "sotay_bot"}


def run(env, *args):
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_import_invite_and_tokens(env, tmp_path) -> None:
    first = run(env, "members", "import", str(FIXTURE))
    assert first.exit_code == 0, first.output
    assert "created 8, updated 0, unchanged 0" in first.output
    again = run(env, "members", "import", str(FIXTURE))
    assert "created 0, updated 0, unchanged 8" in again.output

    invite = run(env, "members", "invite", "01.000003")
    link, code = invite.stdout.strip().splitlines()[:2]
    assert re.fullmatch(r"https://t\.me/sotay_bot\?start=[A-Za-z0-9_-]{16}", link) and link.endswith(code)
    assert run(env, "members", "invite", "nope").exit_code == 1

    token = run(env, "token", "create", "01.000001", "--name", "desktop")
    assert token.exit_code == 0 and token.stdout.strip().startswith("sotay_")
    token_id = re.search(r"token id (\d+)", token.output).group(1)
    assert run(env, "token", "revoke", token_id).exit_code == 0
    assert run(env, "token", "revoke", token_id).exit_code == 1  # already revoked


def test_bad_file_lists_errors_and_fails(env, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(FIXTURE.read_text(encoding="utf-8").replace("001050000333", "00105000033"), encoding="utf-8")
    result = run(env, "members", "import", str(bad))
    assert result.exit_code == 1
    assert "line 4, column Số định danh cá nhân: must be 12 digits" in result.output
    assert "nothing imported" in result.output
    skipped = run(env, "members", "import", str(bad), "--skip-invalid")
    assert skipped.exit_code == 1 and "created 7" in skipped.output


def test_missing_secret_key_is_explained(env) -> None:
    del env["SOTAY_SECRET_KEY"]
    result = run(env, "members", "import", str(FIXTURE))
    assert result.exit_code == 2 and "SOTAY_SECRET_KEY is required" in result.output


def test_voice_commands(env, tmp_path) -> None:
    spoken = run(env, "voice", "normalize", "Khóa XIII, ngày 4/12/2026")
    assert spoken.stdout.strip() == "Khóa mười ba, ngày bốn tháng mười hai năm hai nghìn không trăm hai mươi sáu"
    out = tmp_path / "note.ogg"
    said = run(env, "voice", "say", "Xin chào đồng chí.", "-o", str(out), "--speed", "slow")
    assert said.exit_code == 0 and out.read_bytes()[:4] == b"OggS"
    assert run(env, "voice", "say", "x", "-o", str(out), "--voice", "en").exit_code == 2


def test_db_upgrade_needs_no_key(env) -> None:
    del env["SOTAY_SECRET_KEY"]
    result = run(env, "db", "upgrade")
    assert result.exit_code == 0 and "database at head" in result.output
