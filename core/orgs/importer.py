"""Member import from CSV or XLSX with Vietnamese or English headers.

All-or-nothing by default: every row is validated first and any error imports nothing, so a
secretary never ends up with half a cell. Idempotent by party card number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.clock import today as local_today
from core.crypto import FieldCipher
from core.folding import strip_accents
from core.orgs.membership import sync_membership
from core.orgs.models import Gender, Member, OrgKind, OrgRole, RoleKind
from core.orgs.phones import normalize_phone
from core.orgs.service import CITIZEN_ID, PHONE, encrypt_personal, ensure_org_path

# canonical column → accepted headers (compared case- and accent-insensitively)
COLUMNS: dict[str, tuple[str, ...]] = {
    "org_path": ("Tổ chức đảng", "org_path"),
    "full_name": ("Họ và tên", "full_name"),
    "date_of_birth": ("Ngày sinh", "date_of_birth"),
    "gender": ("Giới tính", "gender"),
    "joined_on": ("Ngày vào Đảng", "joined_on"),
    "official_on": ("Ngày chính thức", "official_on"),
    "card_number": ("Số thẻ đảng viên", "card_number"),
    "citizen_id": ("Số định danh cá nhân", "citizen_id"),
    "phone": ("Số điện thoại", "phone"),
    "role": ("Vai trò", "role"),
    "exempt": ("Miễn sinh hoạt", "exempt"),
    "committee_of": ("Cấp ủy", "committee_of"),
}
REQUIRED = ("org_path", "full_name", "date_of_birth", "gender", "joined_on", "card_number", "citizen_id")
MAX_ROWS = 200_000
MAX_FILE_BYTES = 50 * 1024 * 1024
# Hard limits of the one reader every import path (API, console, bot) goes through. A list of members
# has a dozen columns and short cells; anything far beyond is a mistake or an attack (a 1.6 KB .xlsx
# whose sheet declares A1:XFD3000 would otherwise have 49 million empty cells built).
MAX_COLUMNS = 64
MAX_CELL_CHARS = 1_000
# An .xlsx is a zip: what it unpacks to is bounded before any XML is parsed (zip bombs): a base for
# styles and the like, and a budget per row (a row of a dozen short cells is well under 1 KB of XML).
UNPACKED_BASE_BYTES = 8 * 1024 * 1024
UNPACKED_BYTES_PER_ROW = 2 * 1024
MAX_ZIP_MEMBERS = 1_000


def _fold(text: str) -> str:
    return strip_accents(text.strip().casefold()).replace("_", " ")


_HEADER_LOOKUP = {_fold(alias): column for column, aliases in COLUMNS.items() for alias in aliases}
_ROLES = {_fold(k): v for k, v in {
    "Đảng viên": None, "member": None, "": None,
    "Bí thư": RoleKind.SECRETARY, "secretary": RoleKind.SECRETARY,
    "Phó bí thư": RoleKind.DEPUTY, "deputy": RoleKind.DEPUTY,
}.items()}
_GENDERS = {_fold(k): v for k, v in {"Nam": Gender.MALE, "male": Gender.MALE, "Nữ": Gender.FEMALE, "female": Gender.FEMALE}.items()}
_BOOLEANS = {_fold(k): v for k, v in {"Có": True, "1": True, "yes": True, "true": True, "x": True,
                                      "Không": False, "0": False, "no": False, "false": False, "": False}.items()}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str  # in Vietnamese, for the person who fixes the file
    code: str = ""  # stable, English (texts.management.ROW_REASONS' key), for programs

    @classmethod
    def of(cls, line: int, column: str, code: str, **values: object) -> RowError:
        return cls(line, column, texts.management.ROW_REASONS[code].format(**values), code)

    def __str__(self) -> str:
        return texts.management.ROW_ERROR_LINE.format(line=self.line, column=self.column, reason=self.reason)


@dataclass
class MemberRow:
    line: int
    org_path: list[str]
    full_name: str
    date_of_birth: dt.date
    gender: Gender
    joined_on: dt.date
    official_on: dt.date | None
    card_number: str
    citizen_id: str
    phone: str | None
    role: RoleKind | None
    exempt: bool
    committee_of: list[str] | None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFileError(Exception):
    """The file as a whole cannot be imported; `too_large` when it is over a limit rather than unreadable."""

    def __init__(self, code: str, *, too_large: bool = False, **values: object) -> None:
        super().__init__(texts.management.ROW_REASONS[code].format(**values))
        self.code = code
        self.too_large = too_large


def read_table(path: Path, *, max_rows: int = MAX_ROWS) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """Header and (line number, cells) rows of a CSV or XLSX file, streamed under hard limits:
    at most `max_rows` rows after the header, `MAX_COLUMNS` columns and `MAX_CELL_CHARS` characters a
    cell. A workbook is refused on what it declares (unpacked size, sheet dimension) before a cell is
    read. Blocking: async callers run it in a thread."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFileError("file_too_large", too_large=True, megabytes=MAX_FILE_BYTES // (1024 * 1024))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows: Iterable[Sequence[Any]] = _xlsx_rows(path, max_rows=max_rows)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(path)
    else:
        raise ImportFileError("file_type")
    header: list[str] | None = None
    body: list[tuple[int, list[Any]]] = []
    for line, row in enumerate(rows, start=1):
        if len(row) > MAX_COLUMNS and any(_present(cell) for cell in row[MAX_COLUMNS:]):
            raise ImportFileError("too_many_columns", too_large=True, line=line, limit=MAX_COLUMNS)
        cells = list(row[:MAX_COLUMNS])
        for index, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                raise ImportFileError("cell_too_long", too_large=True, line=line, column=index + 1, limit=MAX_CELL_CHARS)
        if header is None:
            header = ["" if cell is None else str(cell) for cell in cells]
            continue
        if any(_present(cell) for cell in cells):
            if len(body) >= max_rows:
                raise ImportFileError("too_many_rows", too_large=True, limit=max_rows)
            body.append((line, cells))
    if header is None:
        raise ImportFileError("file_empty")
    return header, body


def _present(cell: Any) -> bool:
    return bool(str(cell or "").strip())


def _csv_rows(path: Path) -> Iterable[list[Any]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1258", errors="replace")  # Windows Vietnamese, what Excel often writes
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    except csv.Error:  # rows of uneven width defeat the sniffer: the template's comma, then
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        yield from reader
    except csv.Error as exc:  # a field over csv's own size limit, a NUL in older Pythons
        raise ImportFileError("csv_unreadable", too_large="larger than field limit" in str(exc), line=reader.line_num) from None


def _xlsx_rows(path: Path, *, max_rows: int) -> Iterable[tuple[Any, ...]]:
    import zipfile

    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise ImportFileError("xlsx_unreadable") from None
    # Sizes a zip declares are what zipfile will unpack at most (it stops at the declared size).
    budget = UNPACKED_BASE_BYTES + UNPACKED_BYTES_PER_ROW * max_rows
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > budget:
        raise ImportFileError("workbook_too_large", too_large=True, megabytes=budget // (1024 * 1024))
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        declared_rows, declared_columns = sheet.max_row, sheet.max_column
        # The declared dimension is what openpyxl pads every row to: refuse before iterating.
        if (declared_rows or 0) > max_rows + 1 or (declared_columns or 0) > MAX_COLUMNS:
            raise ImportFileError("sheet_too_large", too_large=True, rows=declared_rows, columns=declared_columns, max_rows=max_rows + 1,
                                  max_columns=MAX_COLUMNS)
        # Bounds for a sheet that declares nothing: never pad past them, never read past them. A line
        # past the last allowed one means the sheet goes on: refuse rather than cut it short silently.
        for line, row in enumerate(sheet.iter_rows(max_row=max_rows + 2, max_col=MAX_COLUMNS + 1, values_only=True), start=1):
            if line > max_rows + 1:
                raise ImportFileError("too_many_rows", too_large=True, limit=max_rows)
            yield row
    finally:
        workbook.close()


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("expected a date as dd/mm/yyyy")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel turns numeric IDs into floats
    return str(value).strip()


def parse_rows(header: list[str], body: Iterable[tuple[int, list[Any]]], *, today: dt.date) -> tuple[list[MemberRow], list[RowError]]:
    columns: dict[str, int] = {}
    errors: list[RowError] = []
    for index, name in enumerate(header):
        canonical = _HEADER_LOOKUP.get(_fold(name))
        if canonical:
            columns[canonical] = index
    missing = [c for c in REQUIRED if c not in columns]
    for column in missing:
        errors.append(RowError.of(1, COLUMNS[column][0], "column_missing"))
    if missing:
        return [], errors

    rows: list[MemberRow] = []
    seen_cards: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for line, cells in body:
        def get(column: str) -> Any:
            index = columns.get(column)
            return cells[index] if index is not None and index < len(cells) else None  # noqa: B023 (called in this iteration only)

        row_errors: list[RowError] = []

        def fail(column: str, code: str, **values: object) -> None:
            row_errors.append(RowError.of(line, COLUMNS[column][0], code, **values))  # noqa: B023 (called in this iteration only)

        values: dict[str, Any] = {}
        for column in REQUIRED:
            if not _cell_text(get(column)):
                fail(column, "required")
        path = [part.strip() for part in _cell_text(get("org_path")).split("/") if part.strip()]
        if _cell_text(get("org_path")) and not path:
            fail("org_path", "org_path_empty")
        values["org_path"] = path
        values["full_name"] = " ".join(_cell_text(get("full_name")).split())
        for column in ("date_of_birth", "joined_on", "official_on"):
            raw = get(column)
            if column == "official_on" and not _cell_text(raw):
                values[column] = None
                continue
            if not _cell_text(raw):
                continue
            try:
                values[column] = _parse_date(raw)
                if values[column] > today:
                    fail(column, "date_in_future")
            except ValueError:
                fail(column, "date_invalid", value=_cell_text(raw))
        if values.get("date_of_birth") and values.get("joined_on") and values["joined_on"] < values["date_of_birth"]:
            fail("joined_on", "joined_before_born")
        if values.get("official_on") and values.get("joined_on") and values["official_on"] < values["joined_on"]:
            fail("official_on", "official_before_joined")
        gender_text = _cell_text(get("gender"))
        if gender_text:
            values["gender"] = _GENDERS.get(_fold(gender_text))
            if values["gender"] is None:
                fail("gender", "gender_invalid", value=gender_text)
        card = _cell_text(get("card_number")).replace(" ", "")
        values["card_number"] = card
        if card and card in seen_cards:
            fail("card_number", "card_duplicate", line=seen_cards[card])
        citizen_id = _cell_text(get("citizen_id")).replace(" ", "")
        if citizen_id and (len(citizen_id) != 12 or not citizen_id.isdigit()):
            fail("citizen_id", "citizen_id_invalid", length=len(citizen_id))
        elif citizen_id in seen_ids:
            fail("citizen_id", "citizen_id_duplicate", line=seen_ids[citizen_id])
        values["citizen_id"] = citizen_id
        phone_text = _cell_text(get("phone"))
        values["phone"] = None
        if phone_text:
            values["phone"] = normalize_phone(phone_text)
            if values["phone"] is None:
                fail("phone", "phone_invalid")
        role_text = _cell_text(get("role"))
        if _fold(role_text) in _ROLES:
            values["role"] = _ROLES[_fold(role_text)]
        else:
            fail("role", "role_invalid", value=role_text)
        exempt_text = _cell_text(get("exempt"))
        if _fold(exempt_text) in _BOOLEANS:
            values["exempt"] = _BOOLEANS[_fold(exempt_text)]
        else:
            fail("exempt", "exempt_invalid", value=exempt_text)
        committee_text = _cell_text(get("committee_of"))
        values["committee_of"] = [p.strip() for p in committee_text.split("/") if p.strip()] or None
        if values["committee_of"] and path and values["committee_of"] == path:
            fail("committee_of", "committee_is_cell")

        if row_errors:
            errors.extend(row_errors)
            continue
        seen_cards[card] = line
        seen_ids[citizen_id] = line
        rows.append(MemberRow(line=line, **values))
    return rows, errors


async def apply_rows(session: AsyncSession, rows: list[MemberRow], *, cipher: FieldCipher, today: dt.date | None = None) -> ImportReport:
    """Create or update each row's member. A member moved to another cell or whose exemption
    changed gets a new span of membership history from `today` (local; the clock's when None)."""
    report = ImportReport(imported=True)
    today = today or local_today()
    cards = [row.card_number for row in rows]
    existing: dict[str, Member] = {}
    for start in range(0, len(cards), 1000):
        chunk = cards[start : start + 1000]
        for found in (await session.execute(select(Member).where(Member.card_number.in_(chunk)))).scalars():
            existing[found.card_number] = found
    org_cache: dict[tuple[str, ...], int] = {}

    async def org_id_for(path: list[str], kind: OrgKind) -> int:
        key = (kind.value, *path)
        if key not in org_cache:
            org_cache[key] = (await ensure_org_path(session, path, leaf_kind=kind)).id
        return org_cache[key]

    for row in rows:
        cell_id = await org_id_for(row.org_path, OrgKind.CELL)
        member = existing.get(row.card_number)
        created = member is None
        if member is None:
            member = Member(card_number=row.card_number)
            session.add(member)
        before = _snapshot(member)
        member.org_id = cell_id
        member.full_name = row.full_name
        member.date_of_birth = row.date_of_birth
        member.gender = row.gender
        member.joined_on = row.joined_on
        member.official_on = row.official_on
        member.exempt = row.exempt
        # A hash under an old key (a rotation in progress) still means "unchanged".
        if created or member.citizen_id_hash not in cipher.lookup_hashes(row.citizen_id, context=CITIZEN_ID) or (
            member.phone_hash not in cipher.lookup_hashes(row.phone, context=PHONE) if row.phone else member.phone_hash is not None
        ):
            encrypt_personal(member, cipher, citizen_id=row.citizen_id, phone=row.phone)
        await session.flush()
        if not created:
            await sync_membership(session, member, on=today)
        committee_id = await org_id_for(row.committee_of, OrgKind.COMMITTEE) if row.committee_of else None
        roles_changed = await _set_roles(session, member, cell_id=cell_id, cell_role=row.role, committee_id=committee_id)
        if created:
            report.created += 1
        elif before != _snapshot(member) or roles_changed:
            report.updated += 1
        else:
            report.unchanged += 1
    return report


def _snapshot(member: Member) -> tuple[Any, ...]:
    return (
        member.org_id, member.full_name, member.date_of_birth, member.gender, member.joined_on,
        member.official_on, member.exempt, member.citizen_id_hash, member.phone_hash,
    )


async def _set_roles(session: AsyncSession, member: Member, *, cell_id: int, cell_role: RoleKind | None, committee_id: int | None) -> bool:
    """Make the member's roles exactly what the file says; report whether anything changed."""
    current = {(r.org_id, r.role) for r in (await session.execute(select(OrgRole).where(OrgRole.member_id == member.id))).scalars()}
    wanted: set[tuple[int, RoleKind]] = set()
    if cell_role is not None:
        wanted.add((cell_id, cell_role))
    if committee_id is not None:
        wanted.add((committee_id, RoleKind.COMMITTEE_MEMBER))
    # Cell-committee (chi ủy) memberships are managed in the bot, not by import: keep them.
    kept = {(org_id, role) for org_id, role in current if role == RoleKind.COMMITTEE_MEMBER and org_id == cell_id}
    wanted |= kept
    if current == wanted:
        return False
    for org_id, role in current - wanted:
        await session.execute(delete(OrgRole).where(OrgRole.member_id == member.id, OrgRole.org_id == org_id, OrgRole.role == role))
    for org_id, role in wanted - current:
        session.add(OrgRole(member_id=member.id, org_id=org_id, role=role))
    await session.flush()
    return True


async def import_members(
    session: AsyncSession, path: Path, *, cipher: FieldCipher, today: dt.date, skip_invalid: bool = False
) -> ImportReport:
    header, body = read_table(path)
    rows, errors = parse_rows(header, body, today=today)
    if errors and not skip_invalid:
        return ImportReport(errors=errors)
    report = await apply_rows(session, rows, cipher=cipher, today=today)
    report.errors = errors
    return report
