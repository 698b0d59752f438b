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
    # 8 characters without look-alikes (typed on Zalo), still a valid /start payload
    assert re.fullmatch(r"https://t\.me/sotay_bot\?start=[2-9A-HJ-NP-Z]{8}", link) and link.endswith(code)
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
    assert "Dòng 4, cột Số định danh cá nhân: Số định danh phải gồm đúng 12 chữ số; tệp ghi 11 ký tự." in result.output
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


def test_invite_prints_the_zalo_instruction(env) -> None:
    assert run(env, "members", "import", str(FIXTURE)).exit_code == 0
    invite = run(env, "members", "invite", "01.000003")
    link, code, zalo = invite.stdout.strip().splitlines()
    assert link.endswith(f"?start={code}") and zalo == f"Trên Zalo: nhắn mã {code} cho Sổ tay"


def test_invite_sheet_has_one_card_per_unlinked_member_with_a_local_qr_code(env, tmp_path) -> None:
    import sqlite3

    from sotay.invite_sheet import qr_svg

    assert run(env, "members", "import", str(FIXTURE)).exit_code == 0
    with sqlite3.connect(Path(env["SOTAY_DATA_DIR"]) / "sotay.db") as db:
        (cell_id,) = db.execute("select id from orgs where name = 'Chi bộ thôn Khe Gầy'").fetchone()
        members = db.execute("select id, full_name from members where org_id = ? order by full_name", (cell_id,)).fetchall()
        linked_id, linked_name = members[0]
        db.execute("insert into channel_links (member_id, platform, platform_user_id, chat_id, linked_at) "
                   "values (?, 'zalo', 'z1', 'z1', '2026-12-01 00:00:00')", (linked_id,))
    sheet = tmp_path / "moi.html"
    result = run(env, "members", "invite-sheet", "--cell", str(cell_id), "-o", str(sheet))
    assert result.exit_code == 0, result.output
    page = sheet.read_text(encoding="utf-8")
    unlinked = [name for _, name in members[1:]]
    assert f"{len(unlinked)} invite card(s) for Chi bộ thôn Khe Gầy" in result.output
    assert page.count("<article class='card'>") == len(unlinked) == page.count("<svg") and linked_name not in page
    assert all(name in page for name in unlinked) and "size:A4" in page
    codes = re.findall(r"<p class='code'[^>]*>([^<]+)</p>", page)
    links = re.findall(r"<p class='link'>([^<]+)</p>", page)
    assert len(set(codes)) == len(unlinked) and links == [f"https://t.me/sotay_bot?start={c}" for c in codes]
    assert all(qr_svg(link) in page for link in links)  # each card's QR code is its own Telegram link
    assert "Trên Zalo" in page and "http" not in page.replace("https://t.me/", "")  # nothing fetched from elsewhere
    assert run(env, "members", "invite-sheet", "--cell", "999999", "-o", str(sheet)).exit_code == 1


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1", "0.0.0.0", "192.168.1", "fe80::1"])
def test_demo_refuses_a_lan_address_phones_cannot_reach(env, address) -> None:
    result = CliRunner().invoke(app, ["demo", "--lan-address", address], env=env)
    assert result.exit_code == 2
    assert "--lan-address" in result.output and "192.168.1.20" in result.output
    assert not (Path(env["SOTAY_DATA_DIR"]) / "demo").exists()  # refused before anything started


def test_the_trainer_given_lan_address_is_the_one_shown(monkeypatch) -> None:
    from sotay import demo

    monkeypatch.setattr(demo, "lan_addresses", lambda: ["10.0.0.5", "172.17.0.1"])
    assert demo.valid_lan_address("192.168.1.20")
    assert demo.shown_lan_address("192.168.1.20") == "192.168.1.20"
    assert demo.shown_lan_address(None) == "10.0.0.5"
    monkeypatch.setattr(demo, "lan_addresses", list)
    assert demo.shown_lan_address(None) == "127.0.0.1"


def test_figures_check_finds_and_repairs_a_stored_row(env, tmp_path) -> None:
    import sqlite3

    assert run(env, "members", "import", str(FIXTURE)).exit_code == 0
    assert "stored figures equal the live ones" in run(env, "figures", "check").output  # nothing kept yet
    database = sqlite3.connect(tmp_path / "data" / "sotay.db")
    cell = database.execute("SELECT org_id FROM members LIMIT 1").fetchone()[0]
    members = database.execute("SELECT count(*) FROM members WHERE org_id = ?", (cell,)).fetchone()[0]
    database.execute("INSERT INTO figures_months (month, built_at) VALUES ('2026-11-01', '2026-11-01 00:00:00')")
    database.execute("INSERT INTO org_month_figures (month, org_id, members, exempt, linked, meetings_held, invited, present, absent_excused, "
                     "absent_unexcused, study_assigned, study_done, quiz_done, quiz_correct, quiz_questions, feedback_received, "
                     "feedback_answered) VALUES ('2026-11-01', ?, 999, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)", (cell,))
    database.commit()
    found = run(env, "figures", "check")
    assert found.exit_code == 1 and f"2026-11 org {cell} members: stored 999, live {members}" in found.output
    assert run(env, "figures", "check", "--repair").exit_code == 1
    assert database.execute("SELECT members FROM org_month_figures WHERE org_id = ?", (cell,)).fetchone()[0] == members
    assert run(env, "figures", "check").exit_code == 0
