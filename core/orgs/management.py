"""Managing organisations and member records: who may see, add, change or retire what.

One rule shapes every function here: an object outside the actor's scope does not exist for them
(`NotFound`, so an id tells nothing about what lies beyond their organisations); an object they
may see but not change is `PermissionDenied`. Scope comes from `Actor`:

- a member sees their own cell and their own record;
- a secretary or deputy manages their cell and every record in it;
- a committee member manages the committee's whole subtree.

Callers commit; nothing here does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.crypto import FieldCipher, mask_citizen_id, mask_phone
from core.db import Base
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.files import FileRule, check_content, clean_filename, extension_of
from core.clock import today as local_today
from core.orgs import importer, linking, tokens
from core.orgs.membership import sync_membership
from core.orgs.importer import COLUMNS, ImportReport, MemberRow, RowError
from core.orgs.models import (
    ApiToken,
    ChannelLink,
    Gender,
    Member,
    Org,
    OrgKind,
    OrgRole,
)
from core.orgs.phones import normalize_phone
from core.orgs.service import (
    CITIZEN_ID,
    Actor,
    citizen_id_of,
    create_org,
    encrypt_personal,
    in_subtree,
    phone_of,
)

# Largest id either database stores (BIGINT); anything larger cannot name a row.
MAX_ID = 2**63 - 1
MAX_PAGE_SIZE = 200
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000
# A list of members: CSV (or the same as .txt) or an Excel workbook, its content what its name says.
IMPORT_RULE = FileRule(
    extensions=frozenset({".csv", ".txt", ".xlsx", ".xlsm"}), max_bytes=MAX_IMPORT_BYTES, type_refused=texts.management.IMPORT_TYPE_REFUSED
)
MAX_TOKEN_DAYS = 365
EARLIEST_DATE = dt.date(1900, 1, 1)
CARD_NUMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z./-]{0,31}$")
CITIZEN_ID_DIGITS = re.compile(r"^[0-9]{12}$")

_Row = TypeVar("_Row", bound=Base)


async def _get(session: AsyncSession, model: type[_Row], row_id: int) -> _Row | None:
    if not 0 < row_id <= MAX_ID:
        return None
    return await session.get(model, row_id)


# ---------------------------------------------------------------- scope


def visible_roots(actor: Actor) -> list[Org]:
    """The tops of what the actor sees: the subtrees they manage, and their own cell if not inside one."""
    roots: list[Org] = []
    for org in sorted([*actor.managed_orgs, actor.cell], key=lambda o: (o.depth, o.id)):
        if not any(org.path.startswith(root.path) for root in roots):
            roots.append(org)
    return roots


async def visible_org(session: AsyncSession, actor: Actor, org_id: int) -> Org:
    org = await _get(session, Org, org_id)
    if org is None or not actor.can_view(org):
        raise NotFound(texts.common.NOT_FOUND)
    return org


async def managed_org(session: AsyncSession, actor: Actor, org_id: int) -> Org:
    org = await visible_org(session, actor, org_id)
    actor.require_manages(org)
    return org


@dataclass
class MemberRecord:
    """A member with the cell they belong to and whether a messenger account is tied to them."""

    member: Member
    cell: Org
    linked: bool


def _linked() -> Any:
    return exists().where(ChannelLink.member_id == Member.id)


def may_see_member(actor: Actor, member: Member, cell: Org) -> bool:
    return member.id == actor.member.id or actor.manages(cell)


async def visible_member(session: AsyncSession, actor: Actor, member_id: int) -> MemberRecord:
    row = None
    if 0 < member_id <= MAX_ID:
        query = select(Member, Org, _linked().label("linked")).join(Org, Member.org_id == Org.id).where(Member.id == member_id)
        row = (await session.execute(query)).one_or_none()
    if row is None or not may_see_member(actor, row[0], row[1]):
        raise NotFound(texts.common.NOT_FOUND)
    return MemberRecord(member=row[0], cell=row[1], linked=bool(row[2]))


async def managed_member(session: AsyncSession, actor: Actor, member_id: int) -> MemberRecord:
    record = await visible_member(session, actor, member_id)
    actor.require_manages(record.cell)
    return record


# ---------------------------------------------------------------- the tree


@dataclass
class OrgNode:
    org: Org
    members: int = 0  # active members directly in this organisation (cells only, in practice)
    total_members: int = 0  # active members in the whole subtree
    children: list[OrgNode] = field(default_factory=list)


async def subtree_size(session: AsyncSession, org: Org) -> int:
    query = select(func.count(Member.id)).join(Org, Member.org_id == Org.id).where(in_subtree(org.path), Member.active)
    return int((await session.execute(query)).scalar_one())


async def org_tree(session: AsyncSession, actor: Actor, *, org_id: int, max_depth: int | None = None) -> OrgNode:
    """The subtree under an organisation with member counts; `max_depth` levels below it at most."""
    root = await visible_org(session, actor, org_id)
    query = select(Org).where(in_subtree(root.path))
    if max_depth is not None:
        query = query.where(Org.depth <= root.depth + max_depth)
    nodes = {org.id: OrgNode(org) for org in (await session.execute(query.order_by(Org.depth, Org.name, Org.id))).scalars()}
    counts = await session.execute(
        select(Org.id, Org.path, func.count(Member.id))
        .join(Member, Member.org_id == Org.id)
        .where(in_subtree(root.path), Member.active)
        .group_by(Org.id, Org.path)
    )
    for org_id_, path, count in counts.all():
        if org_id_ in nodes:
            nodes[org_id_].members = int(count)
        for ancestor_id in (int(part) for part in path.strip("/").split("/")):
            if ancestor_id in nodes:
                nodes[ancestor_id].total_members += int(count)
    for node in nodes.values():
        if node.org.id != root.id and node.org.parent_id in nodes:
            nodes[node.org.parent_id].children.append(node)
    return nodes[root.id]


async def create_child_org(
    session: AsyncSession, actor: Actor, *, parent_id: int, name: str, kind: OrgKind, code: str | None = None
) -> Org:
    parent = await managed_org(session, actor, parent_id)
    if parent.kind == OrgKind.CELL:
        raise InvalidInput(texts.management.ORG_PARENT_IS_CELL)
    name = " ".join(name.split())
    code = code.strip() if code and code.strip() else None
    if not name:
        raise InvalidInput(texts.management.ORG_NAME_REQUIRED)
    if await session.scalar(select(Org.id).where(Org.parent_id == parent.id, Org.name == name)) is not None:
        raise Conflict(texts.management.ORG_NAME_TAKEN)
    if code is not None and await session.scalar(select(Org.id).where(Org.code == code)) is not None:
        raise Conflict(texts.management.ORG_CODE_TAKEN)
    try:
        async with session.begin_nested():
            return await create_org(session, name=name, kind=kind, parent=parent, code=code)
    except IntegrityError:  # created concurrently under the same name or code
        raise Conflict(texts.management.ORG_NAME_TAKEN) from None


# ---------------------------------------------------------------- member records


@dataclass(frozen=True)
class MemberFilter:
    cell_id: int | None = None
    exempt: bool | None = None
    probationary: bool | None = None
    linked: bool | None = None
    q: str | None = None
    active: bool = True


async def list_members(
    session: AsyncSession, actor: Actor, *, org_id: int, filters: MemberFilter, limit: int, offset: int
) -> tuple[list[MemberRecord], int]:
    """One page of the members under an organisation (ordered by name) and how many match in all.

    Someone who only belongs to the organisation, without managing it, finds just themselves.
    """
    org = await visible_org(session, actor, org_id)
    conditions = [in_subtree(org.path), Member.active == filters.active]
    if not actor.manages(org):
        conditions.append(Member.id == actor.member.id)
    if filters.cell_id is not None:
        conditions.append(Member.org_id == filters.cell_id)
    if filters.exempt is not None:
        conditions.append(Member.exempt == filters.exempt)
    if filters.probationary is not None:
        conditions.append(Member.official_on.is_(None) if filters.probationary else Member.official_on.is_not(None))
    if filters.linked is not None:
        conditions.append(_linked() if filters.linked else ~_linked())
    if filters.q and filters.q.strip():
        q = " ".join(filters.q.split())
        conditions.append(Member.full_name.icontains(q, autoescape=True) | (Member.card_number == q))
    total = await session.scalar(select(func.count(Member.id)).join(Org, Member.org_id == Org.id).where(*conditions))
    query = (
        select(Member, Org, _linked().label("linked"))
        .join(Org, Member.org_id == Org.id)
        .where(*conditions)
        .order_by(Member.full_name, Member.id)
        .limit(min(limit, MAX_PAGE_SIZE))
        .offset(offset)
    )
    rows = (await session.execute(query)).all()
    return [MemberRecord(member=m, cell=c, linked=bool(linked)) for m, c, linked in rows], int(total or 0)


@dataclass(frozen=True)
class MemberDraft:
    """The nine fields of Quy định 339-QĐ/TW (the cell aside) and the exemption flags."""

    full_name: str
    date_of_birth: dt.date
    gender: Gender
    joined_on: dt.date
    official_on: dt.date | None
    card_number: str
    citizen_id: str
    phone: str | None = None
    exempt: bool = False
    exempt_receives_notices: bool = True


DRAFT_FIELDS = frozenset(f.name for f in dataclasses.fields(MemberDraft))
EDITABLE_FIELDS = DRAFT_FIELDS | {"org_id", "active"}
_NULLABLE = frozenset({"official_on", "phone"})
_LABELS = {
    "full_name": "Họ và tên",
    "date_of_birth": "Ngày sinh",
    "gender": "Giới tính",
    "joined_on": "Ngày vào Đảng",
    "official_on": "Ngày chính thức",
    "card_number": "Số thẻ đảng viên",
    "citizen_id": "Số định danh cá nhân",
    "phone": "Số điện thoại",
    "exempt": "Miễn sinh hoạt",
    "exempt_receives_notices": "Nhận thông báo khi miễn sinh hoạt",
    "org_id": "Chi bộ",
    "active": "Đang hoạt động",
}


def validate_draft(draft: MemberDraft, *, today: dt.date) -> MemberDraft:
    """The draft in canonical form (spaces folded, phone normalised), or InvalidInput with the first problem."""
    name = " ".join(draft.full_name.split())
    if not name or len(name) > 255:
        raise InvalidInput(texts.management.NAME_REQUIRED)
    for key in ("date_of_birth", "joined_on", "official_on"):
        value: dt.date | None = getattr(draft, key)
        if value is None:
            continue
        if value > today:
            raise InvalidInput(texts.management.DATE_IN_FUTURE.format(field=_LABELS[key]))
        if value < EARLIEST_DATE:
            raise InvalidInput(texts.management.DATE_TOO_OLD.format(field=_LABELS[key]))
    if draft.joined_on < draft.date_of_birth:
        raise InvalidInput(texts.management.JOINED_BEFORE_BORN)
    if draft.official_on is not None and draft.official_on < draft.joined_on:
        raise InvalidInput(texts.management.OFFICIAL_BEFORE_JOINED)
    card = draft.card_number.replace(" ", "")
    if not CARD_NUMBER.match(card):
        raise InvalidInput(texts.management.CARD_INVALID)
    citizen_id = draft.citizen_id.replace(" ", "")
    if not CITIZEN_ID_DIGITS.match(citizen_id):
        raise InvalidInput(texts.management.CITIZEN_ID_INVALID)
    phone = None
    if draft.phone is not None and draft.phone.strip():
        phone = normalize_phone(draft.phone)
        if phone is None:
            raise InvalidInput(texts.management.PHONE_INVALID)
    return dataclasses.replace(draft, full_name=name, card_number=card, citizen_id=citizen_id, phone=phone)


async def _ensure_unique(
    session: AsyncSession, cipher: FieldCipher, *, card_number: str | None, citizen_id: str | None, member_id: int | None
) -> None:
    """Card number and citizen ID name one record each. The refusal does not say whose record."""
    if card_number is not None:
        holder = await session.scalar(select(Member.id).where(Member.card_number == card_number))
        if holder is not None and holder != member_id:
            raise Conflict(texts.management.CARD_TAKEN)
    if citizen_id is not None:
        lookups = cipher.lookup_hashes(citizen_id, context=CITIZEN_ID)  # every key's, while a rotation runs
        holders = (await session.scalars(select(Member.id).where(Member.citizen_id_hash.in_(lookups)))).all()
        if any(holder != member_id for holder in holders):
            raise Conflict(texts.management.CITIZEN_ID_TAKEN)


async def _flush_guarded(session: AsyncSession, member: Member) -> None:
    try:
        async with session.begin_nested():
            session.add(member)
    except IntegrityError:  # a concurrent request took the card number or citizen ID first
        raise Conflict(texts.management.CARD_TAKEN) from None


async def create_member(
    session: AsyncSession, actor: Actor, *, cell_id: int, draft: MemberDraft, cipher: FieldCipher, today: dt.date
) -> MemberRecord:
    cell = await managed_org(session, actor, cell_id)
    if not cell.is_cell:
        raise InvalidInput(texts.management.ORG_NOT_A_CELL)
    draft = validate_draft(draft, today=today)
    await _ensure_unique(session, cipher, card_number=draft.card_number, citizen_id=draft.citizen_id, member_id=None)
    member = Member(
        org_id=cell.id,
        full_name=draft.full_name,
        date_of_birth=draft.date_of_birth,
        gender=draft.gender,
        joined_on=draft.joined_on,
        official_on=draft.official_on,
        card_number=draft.card_number,
        exempt=draft.exempt,
        exempt_receives_notices=draft.exempt_receives_notices,
        active=True,
    )
    encrypt_personal(member, cipher, citizen_id=draft.citizen_id, phone=draft.phone)
    await _flush_guarded(session, member)
    return MemberRecord(member=member, cell=cell, linked=False)


def _draft_of(member: Member, cipher: FieldCipher) -> MemberDraft:
    return MemberDraft(
        full_name=member.full_name,
        date_of_birth=member.date_of_birth,
        gender=member.gender,
        joined_on=member.joined_on,
        official_on=member.official_on,
        card_number=member.card_number,
        citizen_id=citizen_id_of(member, cipher),
        phone=phone_of(member, cipher),
        exempt=member.exempt,
        exempt_receives_notices=member.exempt_receives_notices,
    )


@dataclass
class MemberUpdate:
    record: MemberRecord
    changed: list[str]  # field names only: the audit log never holds the values


async def update_member(
    session: AsyncSession,
    actor: Actor,
    *,
    member_id: int,
    changes: Mapping[str, Any],
    cipher: FieldCipher,
    today: dt.date,
) -> MemberUpdate:
    """Change some fields of a record; moving it to another cell needs both cells managed."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for key, value in changes.items():
        if value is None and key not in _NULLABLE:
            raise InvalidInput(texts.management.FIELD_REQUIRED.format(field=_LABELS[key]))
    record = await managed_member(session, actor, member_id)
    member = record.member
    target = record.cell
    if "org_id" in changes and changes["org_id"] != member.org_id:
        target = await managed_org(session, actor, int(changes["org_id"]))
        if not target.is_cell:
            raise InvalidInput(texts.management.ORG_NOT_A_CELL)
    if changes.get("active") is False and member.id == actor.member.id:
        raise InvalidInput(texts.management.CANNOT_DEACTIVATE_SELF)
    before = _draft_of(member, cipher)
    after = validate_draft(dataclasses.replace(before, **{k: v for k, v in changes.items() if k in DRAFT_FIELDS}), today=today)
    await _ensure_unique(
        session,
        cipher,
        card_number=after.card_number if after.card_number != before.card_number else None,
        citizen_id=after.citizen_id if after.citizen_id != before.citizen_id else None,
        member_id=member.id,
    )
    changed = [key for key in sorted(DRAFT_FIELDS) if getattr(before, key) != getattr(after, key)]
    for key in ("full_name", "date_of_birth", "gender", "joined_on", "official_on", "card_number", "exempt", "exempt_receives_notices"):
        setattr(member, key, getattr(after, key))
    if after.citizen_id != before.citizen_id or after.phone != before.phone:
        encrypt_personal(member, cipher, citizen_id=after.citizen_id, phone=after.phone)
    if target.id != member.org_id:
        # Functions in a cell (secretary, deputy, chi ủy) end when the member leaves it.
        await session.execute(delete(OrgRole).where(OrgRole.member_id == member.id, OrgRole.org_id == member.org_id))
        member.org_id = target.id
        changed.append("org_id")
    if "active" in changes and bool(changes["active"]) != member.active:
        member.active = bool(changes["active"])
        changed.append("active")
    await _flush_guarded(session, member)
    await sync_membership(session, member, on=today)
    return MemberUpdate(record=MemberRecord(member=member, cell=target, linked=record.linked), changed=sorted(changed))


async def set_follows_cell(session: AsyncSession, member: Member, *, follows: bool) -> bool:
    """An exempt member's own switch (👤 Hồ sơ): keep receiving the cell's notices, resolutions and
    invitations (not obliged), or stop. Returns the new value; for members not exempt it stays on."""
    if not member.exempt:
        return True
    member.exempt_receives_notices = follows
    await session.flush()
    return follows


async def deactivate_member(session: AsyncSession, actor: Actor, *, member_id: int, today: dt.date | None = None) -> MemberRecord:
    """Retire a record (moved away, passed away, left the Party). Records are never deleted; the
    membership history ends today (`today`: the local date, from the clock when not given)."""
    record = await managed_member(session, actor, member_id)
    if record.member.id == actor.member.id:
        raise InvalidInput(texts.management.CANNOT_DEACTIVATE_SELF)
    record.member.active = False
    await session.flush()
    await sync_membership(session, record.member, on=today or local_today())
    return record


@dataclass(frozen=True)
class Identifiers:
    citizen_id: str
    phone: str | None
    masked: bool


def identifiers_of(member: Member, cipher: FieldCipher, *, reveal: bool = False) -> Identifiers:
    """Citizen ID and phone, masked unless `reveal` (which callers check with `require_may_reveal`)."""
    citizen_id = citizen_id_of(member, cipher)
    phone = phone_of(member, cipher)
    if reveal:
        return Identifiers(citizen_id=citizen_id, phone=phone, masked=False)
    return Identifiers(citizen_id=mask_citizen_id(citizen_id), phone=mask_phone(phone) if phone else None, masked=True)


def require_may_reveal(actor: Actor, record: MemberRecord) -> None:
    """Full identifiers: for the member themselves and for whoever manages their cell."""
    if not may_see_member(actor, record.member, record.cell):
        raise PermissionDenied(texts.api.REVEAL_FORBIDDEN)


# ---------------------------------------------------------------- accounts


async def invite_member(
    session: AsyncSession, actor: Actor, *, member_id: int, now: dt.datetime, ttl: dt.timedelta = linking.INVITE_TTL
) -> linking.Invite:
    record = await managed_member(session, actor, member_id)
    if not record.member.active:
        raise Conflict(texts.management.MEMBER_INACTIVE)
    if record.linked:
        raise Conflict(texts.management.MEMBER_ALREADY_LINKED)
    return await linking.create_invite(session, member=record.member, now=now, ttl=ttl, created_by=actor.member)


async def reset_member_link(
    session: AsyncSession, actor: Actor, *, member_id: int, now: dt.datetime, platform: str | None = None
) -> list[str]:
    """Untie the member's messenger accounts (a lost phone): on `platform`, or on every platform when
    None. Returns the platforms untied (empty when none was tied)."""
    record = await managed_member(session, actor, member_id)
    return await linking.reset_link(session, member=record.member, platform=platform, by=actor.member, now=now)


async def issue_token(
    session: AsyncSession, actor: Actor, *, name: str, days: int, now: dt.datetime, parent: ApiToken | None = None
) -> tokens.IssuedToken:
    """A token for the actor; created with `parent` (the token making the request), it expires no later
    than that token and is revoked with it."""
    if len(name) > 128:
        raise InvalidInput(texts.management.TOKEN_NAME_TOO_LONG)
    ttl = dt.timedelta(days=max(1, min(days, MAX_TOKEN_DAYS)))
    return await tokens.create_token(session, member=actor.member, now=now, name=name.strip(), ttl=ttl, parent=parent)


async def own_tokens(session: AsyncSession, actor: Actor) -> list[ApiToken]:
    return await tokens.tokens_of(session, actor.member)


async def revoke_own_token(session: AsyncSession, actor: Actor, *, token_id: int, now: dt.datetime) -> ApiToken:
    """Revoke one of the actor's own tokens; revoking twice changes nothing; others' tokens do not exist."""
    record = await _get(session, ApiToken, token_id)
    if record is None or record.member_id != actor.member.id:
        raise NotFound(texts.common.NOT_FOUND)
    if record.revoked_at is None:
        await tokens.revoke(session, token_id=record.id, now=now, by=actor.member)
    return record


# ---------------------------------------------------------------- import


class ImportRejected(InvalidInput):
    """Nothing was imported; `errors` lists every problem as line, column and reason."""

    code = "import_rejected"

    def __init__(self, message: str, *, errors: Sequence[RowError]) -> None:
        super().__init__(message)
        self.errors = list(errors)


def check_import_file(filename: str, data: bytes) -> str:
    """An uploaded list, before anything is read from it: a type outside `IMPORT_RULE` or content that
    is not what its name says is `UnsupportedFileType`; an empty one `InvalidInput`. Returns the
    extension the reader goes by."""
    name = clean_filename(filename, default="danh-sach")
    check_content(IMPORT_RULE, name, data)
    return extension_of(name)


def require_may_import(actor: Actor) -> None:
    """Importing writes member records: only for whoever manages a cell or a committee. Checked
    before the file is read, so a plain member's upload costs nothing and reveals nothing."""
    if not actor.is_manager:
        raise PermissionDenied(texts.management.IMPORT_MANAGERS_ONLY)


async def import_members(
    session: AsyncSession, actor: Actor, *, path: Path, cipher: FieldCipher, today: dt.date
) -> ImportReport:
    """All-or-nothing import of a CSV/XLSX list into organisations the actor manages.

    On top of the importer's own checks, a row is refused when its cell or committee lies outside
    the actor's subtrees, when its card number belongs to a member elsewhere (the import would move
    them), when its citizen ID belongs to another record, or when the member holds a function the
    import would take away outside the actor's subtrees. A refusal about a record outside the
    actor's subtrees is the same neutral reason whatever that record is: the import never tells
    whether a card number or citizen ID exists beyond what the actor may see.
    """
    require_may_import(actor)
    try:
        # The reader is blocking and bounded (see importer.read_table): off the event loop.
        header, body = await asyncio.to_thread(importer.read_table, path, max_rows=MAX_IMPORT_ROWS)
    except importer.ImportFileError as exc:
        if exc.too_large:
            raise ImportRejected(texts.management.IMPORT_TOO_LARGE.format(rows=MAX_IMPORT_ROWS, columns=importer.MAX_COLUMNS),
                                 errors=[RowError(0, texts.management.FILE_COLUMN, str(exc), exc.code)]) from None
        raise ImportRejected(texts.management.IMPORT_UNREADABLE, errors=[RowError(0, texts.management.FILE_COLUMN, str(exc), exc.code)]) from None
    except Exception:  # noqa: BLE001 — an uploaded file can break a CSV sniffer or a zip reader in many ways
        raise ImportRejected(
            texts.management.IMPORT_UNREADABLE, errors=[RowError.of(0, texts.management.FILE_COLUMN, "unreadable")]
        ) from None
    rows, errors = importer.parse_rows(header, body, today=today)
    unstorable = _nul_errors(header, body)
    # Rows with NUL never reach a query: PostgreSQL refuses such text even in a WHERE clause.
    checkable = [row for row in rows if row.line not in {e.line for e in unstorable}]
    errors = [*unstorable, *errors, *await _scope_errors(session, actor, checkable, cipher)]
    if errors:
        errors.sort(key=lambda e: e.line)
        raise ImportRejected(texts.management.IMPORT_REJECTED.format(count=len(errors)), errors=errors)
    return await importer.apply_rows(session, rows, cipher=cipher, today=today)


def _nul_errors(header: list[str], body: list[tuple[int, list[Any]]]) -> list[RowError]:
    """NUL characters (from a binary file renamed .csv) cannot be stored; name every cell that has one."""
    return [
        RowError.of(line, header[index] if index < len(header) else f"#{index + 1}", "nul_character")
        for line, cells in body
        for index, cell in enumerate(cells)
        if isinstance(cell, str) and "\x00" in cell
    ]


# A path's problem: its reason's code (texts.management.ROW_REASONS) and the reason's values.
Problem = tuple[str, dict[str, str]]
OUTSIDE: Problem = ("outside_scope", {})


class _OrgPaths:
    """Checks org paths (names from the root) the way `ensure_org_path` will walk them."""

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.cache: dict[tuple[OrgKind, tuple[str, ...]], Problem | None] = {}

    def _known(self, org: Org) -> bool:
        """What the actor may be told about: what they see, and the organisations above it."""
        return self.actor.can_view(org) or any(root.path.startswith(org.path) for root in visible_roots(self.actor))

    async def problem(self, names: Sequence[str], leaf_kind: OrgKind) -> Problem | None:
        key = (leaf_kind, tuple(names))
        if key not in self.cache:
            self.cache[key] = await self._walk(names, leaf_kind)
        return self.cache[key]

    async def _walk(self, names: Sequence[str], leaf_kind: OrgKind) -> Problem | None:
        parent: Org | None = None
        for index, name in enumerate(names):
            kind = leaf_kind if index == len(names) - 1 else OrgKind.COMMITTEE
            query = select(Org).where(Org.name == name)
            query = query.where(Org.parent_id.is_(None)) if parent is None else query.where(Org.parent_id == parent.id)
            found = list((await self.session.execute(query.limit(2))).scalars())
            if len(found) > 1:
                return ("ambiguous_org", {}) if any(map(self._known, found)) else OUTSIDE
            if not found:
                # The rest of the path will be created under `parent`: the actor must manage it.
                return None if parent is not None and self.actor.manages(parent) else OUTSIDE
            org = found[0]
            if org.kind != kind:
                if not self._known(org):
                    return OUTSIDE
                words = texts.management.ORG_KIND_WORDS
                return "wrong_kind", {"name": name, "actual": words[org.kind.value], "expected": words[kind.value]}
            parent = org
        return None if parent is not None and self.actor.manages(parent) else OUTSIDE


def _chunks(values: Iterable[str], size: int = 500) -> Iterable[list[str]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _scope_errors(session: AsyncSession, actor: Actor, rows: list[MemberRow], cipher: FieldCipher) -> list[RowError]:
    paths = _OrgPaths(session, actor)
    existing: dict[str, tuple[Member, Org]] = {}
    for chunk in _chunks({row.card_number for row in rows}):
        query = select(Member, Org).join(Org, Member.org_id == Org.id).where(Member.card_number.in_(chunk))
        existing.update({member.card_number: (member, org) for member, org in (await session.execute(query)).all()})
    # Every key's hash of each ID, while a rotation runs; the first found names the holder.
    hashes = {row.line: cipher.lookup_hashes(row.citizen_id, context=CITIZEN_ID) for row in rows}
    holders: dict[str, tuple[str, Org]] = {}
    for chunk in _chunks({lookup for lookups in hashes.values() for lookup in lookups}):
        holders_query = (select(Member.citizen_id_hash, Member.card_number, Org).join(Org, Member.org_id == Org.id)
                 .where(Member.citizen_id_hash.in_(chunk)))
        holders.update({lookup: (card, org) for lookup, card, org in (await session.execute(holders_query)).tuples().all()})
    role_orgs: dict[int, list[Org]] = {}
    member_ids = [member.id for member, _ in existing.values()]
    for start in range(0, len(member_ids), 500):
        roles_query = select(OrgRole.member_id, Org).join(Org, OrgRole.org_id == Org.id).where(OrgRole.member_id.in_(member_ids[start : start + 500]))
        for member_id, org in (await session.execute(roles_query)).tuples().all():
            role_orgs.setdefault(member_id, []).append(org)

    errors: list[RowError] = []
    for row in rows:
        def fail(column: str, code: str, **values: object) -> None:
            errors.append(RowError.of(row.line, COLUMNS[column][0], code, **values))  # noqa: B023 (used at once)

        if (problem := await paths.problem(row.org_path, OrgKind.CELL)) is not None:
            fail("org_path", problem[0], **problem[1])
        if row.committee_of and (problem := await paths.problem(row.committee_of, OrgKind.COMMITTEE)) is not None:
            fail("committee_of", problem[0], **problem[1])
        found = existing.get(row.card_number)
        if found is not None and not actor.manages(found[1]):
            fail("card_number", "not_yours")
        holder = next((holders[lookup] for lookup in hashes[row.line] if lookup in holders), None)
        if holder is not None and holder[0] != row.card_number:
            # Named only when the other record is the actor's to see; otherwise the same neutral reason.
            fail("citizen_id", "citizen_id_taken" if actor.manages(holder[1]) else "not_yours")
        if found is not None and any(not actor.manages(org) for org in role_orgs.get(found[0].id, [])):
            fail("role", "role_elsewhere")
    return errors
