"""Building a realistic commune for tests: a province, a commune committee, cells and members."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import FieldCipher
from core.orgs.models import ChannelLink, Gender, Member, Org, OrgKind, OrgRole, RoleKind
from core.orgs.service import create_org, encrypt_personal

_serial = itertools.count(1)


async def add_member(
    session: AsyncSession,
    cipher: FieldCipher,
    cell: Org,
    name: str,
    *,
    role: RoleKind | None = None,
    exempt: bool = False,
    probationary: bool = False,
    phone: str | None = None,
    born: dt.date = dt.date(1960, 5, 17),
    gender: Gender = Gender.MALE,
    link_to: int | None = None,
    joined_on: dt.date = dt.date(1985, 3, 3),
) -> Member:
    n = next(_serial)
    member = Member(
        org_id=cell.id,
        full_name=name,
        date_of_birth=born,
        gender=gender,
        joined_on=joined_on,
        official_on=None if probationary else max(joined_on, dt.date(1986, 3, 3)),
        card_number=f"CARD{n:06d}",
        exempt=exempt,
    )
    encrypt_personal(member, cipher, citizen_id=f"0010{n:08d}", phone=phone or f"09{n:08d}")
    session.add(member)
    await session.flush()
    if role is not None:
        session.add(OrgRole(member_id=member.id, org_id=cell.id, role=role))
    if link_to is not None:
        session.add(ChannelLink(member_id=member.id, platform="telegram", platform_user_id=str(link_to), chat_id=str(link_to)))
    await session.flush()
    return member


@dataclass
class Cell:
    org: Org
    secretary: Member
    deputy: Member
    members: list[Member] = field(default_factory=list)

    @property
    def everyone(self) -> list[Member]:
        return [self.secretary, self.deputy, *self.members]


@dataclass
class Commune:
    province: Org
    commune: Org
    cells: list[Cell]
    committee_member: Member
    other_province: Org
    other_cell: Cell


async def make_cell(
    session: AsyncSession, cipher: FieldCipher, parent: Org, name: str, *, size: int = 4, user_id_base: int | None = None
) -> Cell:
    org = await create_org(session, name=name, kind=OrgKind.CELL, parent=parent)
    ids = itertools.count(user_id_base) if user_id_base is not None else None
    secretary = await add_member(session, cipher, org, f"Bí thư {name}", role=RoleKind.SECRETARY, link_to=next(ids) if ids else None)
    deputy = await add_member(session, cipher, org, f"Phó bí thư {name}", role=RoleKind.DEPUTY, link_to=next(ids) if ids else None)
    members = [
        await add_member(session, cipher, org, f"Đảng viên {i} {name}", link_to=next(ids) if ids else None) for i in range(1, size + 1)
    ]
    return Cell(org=org, secretary=secretary, deputy=deputy, members=members)


async def make_commune(session: AsyncSession, cipher: FieldCipher, *, linked: bool = True) -> Commune:
    """Two cells under one commune committee, plus a cell in another province (for access tests).

    With `linked`, every member gets a Telegram account: cell 1 users 1001…, cell 2 users 2001…,
    the other province's cell 9001…, the commune committee member 5001.
    """
    province = await create_org(session, name="Đảng bộ tỉnh Lào Cai", kind=OrgKind.COMMITTEE, parent=None)
    commune = await create_org(session, name="Đảng bộ xã Mù Cang Chải", kind=OrgKind.COMMITTEE, parent=province)
    cell_a = await make_cell(session, cipher, commune, "Chi bộ thôn Khe Gầy", user_id_base=1001 if linked else None)
    cell_b = await make_cell(session, cipher, commune, "Chi bộ thôn Púng Luông", user_id_base=2001 if linked else None)
    other_province = await create_org(session, name="Đảng bộ tỉnh Yên Bái", kind=OrgKind.COMMITTEE, parent=None)
    other_cell = await make_cell(session, cipher, other_province, "Chi bộ thôn Khác", user_id_base=9001 if linked else None)
    committee_member = await add_member(
        session, cipher, cell_a.org, "Ủy viên Đảng ủy xã", link_to=5001 if linked else None
    )
    session.add(OrgRole(member_id=committee_member.id, org_id=commune.id, role=RoleKind.COMMITTEE_MEMBER))
    await session.flush()
    return Commune(province=province, commune=commune, cells=[cell_a, cell_b], committee_member=committee_member,
                   other_province=other_province, other_cell=other_cell)
