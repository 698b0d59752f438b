"""The `sotay` command. Names and arguments are a contract with operators and tests."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from core.clock import set_local_tz
from sotay.settings import Settings

app = typer.Typer(help="Sổ tay — the party member handbook bot.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
members_app = typer.Typer(help="Member records.", no_args_is_help=True)
token_app = typer.Typer(help="Personal API tokens.", no_args_is_help=True)
voice_app = typer.Typer(help="Text to speech.", no_args_is_help=True)
keys_app = typer.Typer(help="The key that encrypts citizen IDs and phones.", no_args_is_help=True)
figures_app = typer.Typer(help="The stored monthly figures.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(members_app, name="members")
app.add_typer(token_app, name="token")
app.add_typer(voice_app, name="voice")
app.add_typer(keys_app, name="keys")
app.add_typer(figures_app, name="figures")


def load_settings_or_exit(**overrides: object) -> Settings:
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        typer.secho("Configuration error:", fg="red", err=True)
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "settings"
            typer.secho(f"  {field}: {error['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None
    set_local_tz(settings.tz)  # commands that build no runtime show dates in the same zone
    return settings


def _setup_logging(settings: Settings) -> None:
    from sotay.logging_setup import setup_logging

    setup_logging(settings.log_level, json_lines=settings.log_json)


@app.command()
def run(only: Annotated[str | None, typer.Option(help="Run one part: api, bot or worker")] = None) -> None:
    """Run the API, the bot, the scheduler and the delivery worker (or one of them)."""
    from sotay.serve import ROLES, serve

    if only is not None and only not in ROLES:
        typer.secho(f"--only must be one of: {', '.join(ROLES)}", fg="red", err=True)
        raise typer.Exit(2)
    from sotay.serve import StartupError

    settings = load_settings_or_exit()
    _setup_logging(settings)
    try:
        asyncio.run(serve(settings, only={only} if only else None))
    except StartupError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from None


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port of the demo web page and API")] = 8080,
    sandbox_port: Annotated[int, typer.Option(help="Port of the local Bot API sandbox")] = 8081,
    reset: Annotated[bool, typer.Option("--reset", help="Forget the demo's database, chats and files and start afresh")] = False,
    lan: Annotated[bool, typer.Option("--lan", help="Listen on the local network: a training room's phones join by QR code (practice data only)")] = False,
    lan_address: Annotated[str | None, typer.Option("--lan-address", help="The address phones reach this laptop at, when the one found is wrong (several networks); implies --lan")] = None,
    open_for_seconds: Annotated[float | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run everything against the local sandbox with a seeded demo commune: no Telegram needed.
    The demo keeps its chats across restarts in DATA_DIR/demo; --reset starts afresh."""
    from sotay.demo import DemoPortInUse, reset_demo, run_demo, valid_lan_address
    from sotay.serve import StartupError

    if lan_address is not None and not valid_lan_address(lan_address):
        typer.secho(f"--lan-address {lan_address!r}: give this laptop's IPv4 address on the room's network, e.g. 192.168.1.20", fg="red", err=True)
        raise typer.Exit(2)
    settings = load_settings_or_exit(demo=True)
    _setup_logging(settings)
    if reset:
        folder = reset_demo(settings)
        typer.echo(f"demo reset: {folder} removed" + ("" if settings.database_url is None else
                                                       " (SOTAY_DATABASE_URL is set: that database is kept)"))
    try:
        asyncio.run(run_demo(settings, port=port, sandbox_port=sandbox_port, duration=open_for_seconds,
                             lan=lan or lan_address is not None, lan_address=lan_address))
    except (DemoPortInUse, StartupError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from None


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to the newest schema."""
    from sotay.migrate import upgrade

    # Migrating needs no encryption key, so the key check is waived here only.
    settings = load_settings_or_exit(demo=True)
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at {revision}")


async def _with_factory(settings: Settings, work):  # type: ignore[no-untyped-def]
    """Run `work(session_factory, cipher)` against the configured database (SQLite migrated first)."""
    from core.db import create_engine, create_session_factory
    from sotay.migrate import upgrade_async

    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        await upgrade_async(settings.resolved_database_url)
    engine = create_engine(settings.resolved_database_url)
    try:
        return await work(create_session_factory(engine), settings.field_cipher())
    finally:
        await engine.dispose()


async def _with_session(settings: Settings, work):  # type: ignore[no-untyped-def]
    """Run `work(session, cipher)` in one transaction (committed when it returns)."""
    from core.db import transaction

    async def in_one_transaction(factory, cipher):  # type: ignore[no-untyped-def]
        async with transaction(factory) as session:
            return await work(session, cipher)

    return await _with_factory(settings, in_one_transaction)


@members_app.command("import")
def members_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Import the valid rows and list the rest")] = False,
) -> None:
    """Import members from a CSV or XLSX file (Vietnamese or English headers)."""
    from core.orgs.importer import ImportFileError, import_members

    settings = load_settings_or_exit()
    today = dt.datetime.now(settings.tz).date()

    async def work(session, cipher):  # type: ignore[no-untyped-def]
        return await import_members(session, file, cipher=cipher, today=today, skip_invalid=skip_invalid)

    try:
        report = asyncio.run(_with_session(settings, work))
    except ImportFileError as exc:
        typer.secho(f"cannot import {file.name}: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    for error in report.errors:
        typer.secho(str(error), fg="red", err=True)
    if report.imported:
        typer.echo(f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}")
    else:
        typer.secho(f"nothing imported: {len(report.errors)} error(s); fix them or use --skip-invalid", fg="red", err=True)
    if report.errors:
        raise typer.Exit(1)


def _bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username
    if settings.telegram_token is None:
        return "<bot>"

    async def ask() -> str:
        from bot.dispatcher import create_bot

        bot = create_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_base)  # type: ignore[union-attr]
        try:
            me = await asyncio.wait_for(bot.get_me(), 10)
            return me.username or "<bot>"
        finally:
            await bot.session.close()

    try:
        return asyncio.run(ask())
    except Exception:  # Telegram unreachable: the code alone still works with /start CODE
        return "<bot>"


@members_app.command("invite")
def members_invite(
    card_number: str,
    days: Annotated[int, typer.Option(min=1, max=90, help="Days before the code expires")] = 14,
) -> None:
    """Print a one-time invite: the Telegram link, the code, and how to use the code on Zalo."""
    from core.errors import NotFound
    from core.orgs.linking import create_invite, invite_link
    from core.orgs.service import member_by_card

    settings = load_settings_or_exit()

    async def work(session, cipher):  # type: ignore[no-untyped-def]
        member = await member_by_card(session, card_number)
        return await create_invite(session, member=member, now=dt.datetime.now(dt.timezone.utc), ttl=dt.timedelta(days=days))

    try:
        invite = asyncio.run(_with_session(settings, work))
    except NotFound:
        typer.secho(f"no member with card number {card_number}", fg="red", err=True)
        raise typer.Exit(1) from None
    from core import texts

    typer.echo(invite_link(_bot_username(settings), invite.code))
    typer.echo(invite.code)
    typer.echo(texts.account.INVITE_ZALO.format(code=invite.code))
    typer.echo(f"expires {invite.expires_at.astimezone(settings.tz):%d/%m/%Y %H:%M}", err=True)


@members_app.command("invite-sheet")
def members_invite_sheet(
    cell: Annotated[str, typer.Option("--cell", help="The cell: its id or its code")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write (print it on A4)")],
    days: Annotated[int, typer.Option(min=1, max=90, help="Days before the codes expire")] = 14,
) -> None:
    """Write a printable sheet of invite cards, one per member of the cell not linked yet."""
    from sqlalchemy import select

    from core.orgs.invite_sheet import make_cards, render_sheet
    from core.orgs.models import Org

    settings = load_settings_or_exit()
    username = _bot_username(settings)

    async def work(session, cipher):  # type: ignore[no-untyped-def]
        found = await session.scalar(select(Org).where(Org.code == cell))
        if found is None and cell.isdigit() and int(cell) < 2**63:
            found = await session.get(Org, int(cell))
        if found is None or not found.is_cell:
            return None
        cards = await make_cards(session, cell=found, now=dt.datetime.now(dt.timezone.utc), ttl=dt.timedelta(days=days),
                                 bot_username=username)
        return found.name, cards

    made = asyncio.run(_with_session(settings, work))
    if made is None:
        typer.secho(f"no cell with id or code {cell}", fg="red", err=True)
        raise typer.Exit(1)
    cell_name, cards = made
    output.write_text(render_sheet(cell_name=cell_name, cards=cards), encoding="utf-8")
    typer.echo(f"{len(cards)} invite card(s) for {cell_name} written to {output}")


@token_app.command("create")
def token_create(
    card_number: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "",
    days: Annotated[int, typer.Option(min=1, max=365)] = 90,
) -> None:
    """Print a personal API token once; it carries its holder's roles and organisations."""
    from core.errors import NotFound
    from core.orgs.service import member_by_card
    from core.orgs.tokens import create_token

    settings = load_settings_or_exit()

    async def work(session, cipher):  # type: ignore[no-untyped-def]
        member = await member_by_card(session, card_number)
        issued = await create_token(session, member=member, now=dt.datetime.now(dt.timezone.utc), name=name, ttl=dt.timedelta(days=days))
        return issued.token, issued.record.id

    try:
        token, token_id = asyncio.run(_with_session(settings, work))
    except NotFound:
        typer.secho(f"no member with card number {card_number}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)
    typer.echo(f"token id {token_id}; shown once, keep it secret; expires in {days} days", err=True)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    from core.orgs.tokens import revoke

    settings = load_settings_or_exit()

    async def work(session, cipher):  # type: ignore[no-untyped-def]
        return await revoke(session, token_id=token_id, now=dt.datetime.now(dt.timezone.utc))

    if not asyncio.run(_with_session(settings, work)):
        typer.secho(f"no active token with id {token_id}", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"token {token_id} revoked")


@figures_app.command("check")
def figures_check(repair: Annotated[bool, typer.Option(help="Rewrite the organisations whose stored figures differ")] = False) -> None:
    """Recompute every kept month from the raw rows and list where the stored figures differ
    (exit 1 when any does, even after --repair)."""
    from core.reporting.figures import check

    settings = load_settings_or_exit()

    async def work(session, cipher):  # type: ignore[no-untyped-def]
        return await check(session, repair=repair)

    differences = asyncio.run(_with_session(settings, work))
    for d in differences:
        typer.echo(f"{d.month:%Y-%m} org {d.org_id} {d.field}: stored {d.stored}, live {d.live}")
    if differences:
        typer.secho(f"{len(differences)} differences" + (", repaired" if repair else ""), fg="red", err=True)
        raise typer.Exit(1)
    typer.echo("stored figures equal the live ones")


@keys_app.command("status")
def keys_status() -> None:
    """How many stored identifiers each key holds (the primary key is marked)."""
    from core.orgs.key_rotation import LEGACY, key_usage

    settings = load_settings_or_exit()

    async def work(session, cipher):  # type: ignore[no-untyped-def]
        return cipher.key_id, await key_usage(session, cipher)

    primary, usage = asyncio.run(_with_session(settings, work))
    typer.echo(f"primary key {primary}")
    for key_id, count in sorted(usage.items()):
        label = "primary" if key_id == primary else ("no key id (before rotation existed)" if key_id == LEGACY else "old key")
        typer.echo(f"  {key_id}: {count} value(s), {label}")
    left = sum(count for key_id, count in usage.items() if key_id != primary)
    typer.echo(f"{left} value(s) still to rotate" if left else "every value is under the primary key")


@keys_app.command("rotate")
def keys_rotate(
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Members per transaction")] = 500,
    after_id: Annotated[int, typer.Option(min=0, help="Resume after this member id (printed as it goes)")] = 0,
) -> None:
    """Re-encrypt citizen IDs and phones under SOTAY_SECRET_KEY, reading old ones with
    SOTAY_OLD_SECRET_KEYS. Safe while the bot runs; run it again to finish an interrupted run."""
    from core.orgs.key_rotation import RotationBatch, rotate_keys

    settings = load_settings_or_exit()

    def progress(done: RotationBatch) -> None:
        typer.echo(f"up to member {done.last_id}: {done.rotated} re-encrypted, {done.scanned} looked at", err=True)

    async def work(factory, cipher):  # type: ignore[no-untyped-def]
        return await rotate_keys(factory, cipher, start_after=after_id, batch=batch, on_batch=progress)

    report = asyncio.run(_with_factory(settings, work))
    typer.echo(f"key {report.key_id}: {report.rotated} member(s) re-encrypted, {report.scanned} looked at in {report.passes} pass(es)")
    if report.unreadable:
        shown = ", ".join(str(i) for i in report.unreadable[:20])
        typer.secho(f"{len(report.unreadable)} member(s) no configured key opens (ids {shown}): "
                    "add the key they were written with to SOTAY_OLD_SECRET_KEYS and run again", fg="red", err=True)
    if report.changed_meanwhile:
        typer.secho(f"{report.changed_meanwhile} member(s) were edited during the run: run it again", fg="yellow", err=True)
    if not report.complete:
        raise typer.Exit(1)


@voice_app.command("normalize")
def voice_normalize(text: str) -> None:
    """Print the spoken form of a Vietnamese text (numbers, dates, codes and abbreviations as words)."""
    from voice.cli import normalize_command

    typer.echo(normalize_command(text))


@voice_app.command("say")
def voice_say(
    text: str,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the voice note (.ogg)")],
    engine: Annotated[str, typer.Option(help="espeak (offline), gtts (online) or auto")] = "espeak",
    voice: Annotated[str, typer.Option(help="vi, vi-vn-x-central or vi-vn-x-south")] = "vi",
    speed: Annotated[str, typer.Option(help="normal or slow")] = "normal",
) -> None:
    """Speak a Vietnamese text into an OGG/Opus voice note (long texts: FILE.2.ogg, FILE.3.ogg …)."""
    from voice.cli import say_command
    from voice.engines import SPEEDS, VOICES, SpeechError

    if engine not in ("espeak", "gtts", "auto") or voice not in VOICES or speed not in SPEEDS:
        typer.secho("engine: espeak|gtts|auto; voice: " + "|".join(VOICES) + "; speed: " + "|".join(SPEEDS), fg="red", err=True)
        raise typer.Exit(2)
    try:
        written = asyncio.run(say_command(text, output, engine=engine, voice=voice, speed=speed))
    except SpeechError as exc:
        typer.secho(f"could not speak: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    for path, note in written:
        typer.echo(f"{path}  {note.duration_seconds:.1f} s  {len(note.data) // 1024} KiB  ({note.engine})")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
