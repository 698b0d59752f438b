"""The organisation tree, who a member is, and what they may do where.

Every permission question in the project is answered by `Actor` — one place for the rule
"who may act on which organisation".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, bindparam, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.crypto import FieldCipher, mask_citizen_id, mask_phone
from core.orgs.routing import LinkView, choose_link
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.orgs.models import ChannelLink, Member, Org, OrgKind, OrgRole, RoleKind

CITIZEN_ID = "citizen_id"
PHONE = "phone"


# ---------------------------------------------------------------- the tree


async def create_org(session: AsyncSession, *, name: str, kind: OrgKind, parent: Org | None, code: str | None = None) -> Org:
    if parent is not None and parent.kind == OrgKind.CELL:
        raise ValueError("a cell is a leaf: it cannot contain organisations")
    org = Org(name=name, kind=kind, parent_id=parent.id if parent else None, code=code)
    session.add(org)
    await session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    org.depth = parent.depth + 1 if parent else 0
    await session.flush()
    return org


async def ensure_org_path(session: AsyncSession, names: Sequence[str], *, leaf_kind: OrgKind) -> Org:
    """Find or create each organisation along a path of names; inner ones are committees."""
    parent: Org | None = None
    for index, name in enumerate(names):
        kind = leaf_kind if index == len(names) - 1 else OrgKind.COMMITTEE
        query = select(Org).where(Org.name == name)
        query = query.where(Org.parent_id.is_(None)) if parent is None else query.where(Org.parent_id == parent.id)
        org = (await session.execute(query)).scalar_one_or_none()
        if org is None:
            org = await create_org(session, name=name, kind=kind, parent=parent)
        elif org.kind != kind:
            raise ValueError(f"'{name}' is a {org.kind.value}, not a {kind.value}")
        parent = org
    assert parent is not None
    return parent


def in_subtree(root_path: str) -> ColumnElement[bool]:
    """SQL condition: the organisation lies in the subtree rooted at `root_path` (itself included)."""
    return Org.path.startswith(root_path, autoescape=True)


def in_any_subtree(root_paths: Iterable[str]) -> ColumnElement[bool]:
    paths = list(root_paths)
    if not paths:
        return Org.id.is_(None) & Org.id.is_not(None)  # matches nothing
    return or_(*(in_subtree(path) for path in paths))


async def get_org(session: AsyncSession, org_id: int) -> Org:
    org = await session.get(Org, org_id)
    if org is None:
        raise NotFound(texts.common.NOT_FOUND)
    return org


async def managed_org(session: AsyncSession, actor: Actor, org_id: int, *, refusal: str | None = None) -> Org:
    """The one rule for "load an organisation and check the actor manages it": NotFound when it does
    not exist or the actor may not know of it; PermissionDenied (with `refusal`, by default
    FORBIDDEN) for one they know but do not manage."""
    org = await get_org(session, org_id)
    if not actor.manages(org):
        raise actor.refusal(org, refusal or texts.common.FORBIDDEN)
    return org


async def orgs_by_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, Org]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = (await session.execute(select(Org).where(Org.id.in_(wanted)))).scalars()
    return {org.id: org for org in rows}


async def path_names(session: AsyncSession, org: Org) -> list[str]:
    by_id = await orgs_by_ids(session, org.ancestor_ids)
    return [by_id[i].name for i in org.ancestor_ids if i in by_id]


async def subtree_member_count(session: AsyncSession, org: Org) -> int:
    query = select(func.count(Member.id)).join(Org, Member.org_id == Org.id).where(in_subtree(org.path), Member.active)
    return int((await session.execute(query)).scalar_one())


# ---------------------------------------------------------------- who is asking


@dataclass(frozen=True)
class Actor:
    """A member together with their functions, able to answer permission questions."""

    member: Member
    cell: Org
    roles: tuple[tuple[RoleKind, Org], ...] = field(default=())
    # The account asking, as the channel knows it ("telegram:42", "zalo:…", "api:token:7"): core
    # writes it into the audit rows of what this person does, whichever channel they use.
    via: str | None = None

    @property
    def managed_orgs(self) -> list[Org]:
        """Roots of the subtrees this person manages: the cell they lead, committees they sit on."""
        return [
            org
            for role, org in self.roles
            if (role in (RoleKind.SECRETARY, RoleKind.DEPUTY) and org.kind == OrgKind.CELL)
            or (role == RoleKind.COMMITTEE_MEMBER and org.kind == OrgKind.COMMITTEE)
        ]

    @property
    def is_manager(self) -> bool:
        return bool(self.managed_orgs)

    @property
    def is_committee_member(self) -> bool:
        return any(role == RoleKind.COMMITTEE_MEMBER and org.kind == OrgKind.COMMITTEE for role, org in self.roles)

    def manages(self, org: Org) -> bool:
        return any(org.path.startswith(root.path) for root in self.managed_orgs)

    def leads_cell(self, cell: Org) -> bool:
        """Secretary or deputy of exactly this cell (approving absences, recording attendance)."""
        return any(
            org.id == cell.id and role in (RoleKind.SECRETARY, RoleKind.DEPUTY) for role, org in self.roles
        ) or any(root.kind == OrgKind.COMMITTEE and cell.path.startswith(root.path) for root in self.managed_orgs)

    def sits_on_cell_committee(self, cell: Org) -> bool:
        return any(org.id == cell.id for role, org in self.roles)

    def can_view(self, org: Org) -> bool:
        return org.id == self.cell.id or self.manages(org)

    def refusal(self, org: Org, message: str) -> PermissionDenied | NotFound:
        """The refusal to raise about something in `org`: PermissionDenied (with `message`) when the
        actor knows that organisation, NotFound when they do not, so 403 never confirms that an
        object exists in another cell."""
        return PermissionDenied(message) if self.knows(org) else NotFound(texts.common.NOT_FOUND)

    def knows(self, org: Org) -> bool:
        """What the actor may be told exists: what they see, and the organisations above it (their
        commune, their province), never a sibling cell or another branch of the tree."""
        return self.can_view(org) or any(mine.path.startswith(org.path) for mine in (self.cell, *self.managed_orgs))

    def require_manages(self, org: Org) -> None:
        """PermissionDenied for an organisation the actor sees but does not manage (their own cell);
        NotFound for one they do not see at all: a refusal never tells what exists elsewhere."""
        if not self.manages(org):
            raise self.refusal(org, texts.common.FORBIDDEN)

    def require_view(self, org: Org) -> None:
        if not self.can_view(org):
            raise NotFound(texts.common.NOT_FOUND)


async def load_actor(session: AsyncSession, member: Member, *, via: str | None = None) -> Actor:
    cell = await session.get(Org, member.org_id)
    assert cell is not None
    rows = (
        await session.execute(select(OrgRole.role, Org).join(Org, OrgRole.org_id == Org.id).where(OrgRole.member_id == member.id))
    ).all()
    return Actor(member=member, cell=cell, roles=tuple((role, org) for role, org in rows), via=via)


_ROLE_ORG = aliased(Org, name="role_org")
# Built once (a statement's construction and its cache key cost more than running it on a warm cache):
# member, cell and every role with its organisation, a row per role.
_ACTOR_BY_PLATFORM_USER = (
    select(Member, Org, OrgRole.role, _ROLE_ORG)
    .join(ChannelLink, ChannelLink.member_id == Member.id)
    .join(Org, Org.id == Member.org_id)
    .outerjoin(OrgRole, OrgRole.member_id == Member.id)
    .outerjoin(_ROLE_ORG, _ROLE_ORG.id == OrgRole.org_id)
    .where(ChannelLink.platform == bindparam("platform"), ChannelLink.platform_user_id == bindparam("platform_user_id"), Member.active)
    .order_by(OrgRole.id)
)


async def actor_by_platform_user(session: AsyncSession, *, platform: str, platform_user_id: str) -> Actor | None:
    """Who is asking, in one query: run for every update, so one round trip instead of two."""
    rows = (await session.execute(_ACTOR_BY_PLATFORM_USER, {"platform": platform, "platform_user_id": platform_user_id})).all()
    if not rows:
        return None
    member, cell = rows[0][0], rows[0][1]
    roles = tuple((role, org) for _, _, role, org in rows if role is not None)
    return Actor(member=member, cell=cell, roles=roles, via=f"{platform}:{platform_user_id}")


async def member_by_platform_user(session: AsyncSession, *, platform: str, platform_user_id: str) -> Member | None:
    query = (
        select(Member)
        .join(ChannelLink, ChannelLink.member_id == Member.id)
        .where(ChannelLink.platform == platform, ChannelLink.platform_user_id == platform_user_id, Member.active)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def member_by_card(session: AsyncSession, card_number: str) -> Member:
    member = (await session.execute(select(Member).where(Member.card_number == card_number.strip()))).scalar_one_or_none()
    if member is None:
        raise NotFound(texts.common.NOT_FOUND)
    return member


async def channel_link(session: AsyncSession, member_id: int, platform: str = "telegram") -> ChannelLink | None:
    query = select(ChannelLink).where(ChannelLink.member_id == member_id, ChannelLink.platform == platform)
    return (await session.execute(query)).scalar_one_or_none()


def obliged_members(query_members: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
    """Members the handbook's duties apply to: active and not exempt."""
    condition = Member.active & ~Member.exempt
    return condition if query_members is None else condition & query_members


def receives_notices() -> ColumnElement[bool]:
    """Exempt members receive notices only if they opted in."""
    return Member.active & (~Member.exempt | Member.exempt_receives_notices)


async def cell_committee_ids(session: AsyncSession, cell: Org) -> list[int]:
    query = select(OrgRole.member_id).where(OrgRole.org_id == cell.id).distinct()
    return [row for row in (await session.execute(query)).scalars()]


# ---------------------------------------------------------------- personal data


def encrypt_personal(member: Member, cipher: FieldCipher, *, citizen_id: str, phone: str | None) -> None:
    member.citizen_id_encrypted = cipher.encrypt(citizen_id, context=CITIZEN_ID)
    member.citizen_id_hash = cipher.lookup_hash(citizen_id, context=CITIZEN_ID)
    if phone:
        member.phone_encrypted = cipher.encrypt(phone, context=PHONE)
        member.phone_hash = cipher.lookup_hash(phone, context=PHONE)
    else:
        member.phone_encrypted = None
        member.phone_hash = None


def citizen_id_of(member: Member, cipher: FieldCipher) -> str:
    return cipher.decrypt(member.citizen_id_encrypted, context=CITIZEN_ID)


def phone_of(member: Member, cipher: FieldCipher) -> str | None:
    return cipher.decrypt(member.phone_encrypted, context=PHONE) if member.phone_encrypted else None


def format_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


@dataclass(frozen=True)
class ProfileView:
    full_name: str
    date_of_birth: str
    gender: str
    joined_on: str
    official_on: str
    card_number: str
    cell: str
    citizen_id_masked: str
    phone_masked: str
    status: str
    # The messengers the member is linked on, and the one that receives their messages.
    channels: tuple[str, ...] = ()
    receiving_channel: str | None = None


async def channels_of(session: AsyncSession, member: Member) -> tuple[tuple[str, ...], str | None]:
    """The platforms the member is linked on (sorted), and the one their messages go to."""
    rows = await session.execute(
        select(ChannelLink.platform, ChannelLink.chat_id, ChannelLink.linked_at, ChannelLink.unreachable_since)
        .where(ChannelLink.member_id == member.id)
    )
    links = [LinkView(platform=p, chat_id=c, linked_at=at, unreachable=gone is not None) for p, c, at, gone in rows]
    chosen = choose_link(links, member.preferred_channel)
    return tuple(sorted(link.platform for link in links)), chosen.platform if chosen else None


async def unlinked_members(session: AsyncSession, *, cell_id: int) -> list[Member]:
    """Active members of a cell with no messenger account yet (who an invite sheet is for), by name."""
    linked = select(ChannelLink.id).where(ChannelLink.member_id == Member.id).exists()
    query = select(Member).where(Member.org_id == cell_id, Member.active, ~linked).order_by(Member.full_name, Member.id)
    return list((await session.execute(query)).scalars())


async def set_preferred_channel(session: AsyncSession, *, member: Member, platform: str, now: dt.datetime) -> str:
    """Send the member's messages to `platform` from now on; they must be linked there. Audited."""
    platforms, _ = await channels_of(session, member)
    if platform not in platforms:
        raise InvalidInput(texts.account.CHANNEL_NOT_LINKED)
    previous = member.preferred_channel
    member.preferred_channel = platform
    await audit.record(
        session, "member.preferred_channel", actor_member_id=member.id, org_id=member.org_id, target=f"member:{member.id}",
        detail={"from": previous, "to": platform}, at=now,
    )
    await session.flush()
    return platform


async def profile_of(session: AsyncSession, member: Member, cipher: FieldCipher) -> ProfileView:
    cell = await get_org(session, member.org_id)
    phone = phone_of(member, cipher)
    if member.exempt:
        status = texts.account.STATUS_EXEMPT
    elif member.is_probationary:
        status = texts.account.STATUS_PROBATIONARY
    else:
        status = texts.account.STATUS_OFFICIAL
    channels, receiving = await channels_of(session, member)
    return ProfileView(
        full_name=member.full_name,
        date_of_birth=format_date(member.date_of_birth),
        gender=texts.common.GENDERS[member.gender.value],
        joined_on=format_date(member.joined_on),
        official_on=format_date(member.official_on) if member.official_on else texts.account.PROBATIONARY,
        card_number=member.card_number,
        cell=cell.name,
        citizen_id_masked=mask_citizen_id(citizen_id_of(member, cipher)),
        phone_masked=mask_phone(phone) if phone else texts.account.NO_PHONE,
        status=status,
        channels=channels,
        receiving_channel=receiving,
    )
