"""The demo commune: two cells with realistic members, idempotent by card number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import FieldCipher
from core.orgs.importer import MemberRow, apply_rows
from core.orgs.models import ChannelLink, Gender, Member, RoleKind

PROVINCE = "Đảng bộ tỉnh Lào Cai (mô phỏng)"
COMMUNE = "Đảng bộ xã Mù Cang Chải (mô phỏng)"
CELL_EAST = "Chi bộ thôn Khe Gầy"
CELL_WEST = "Chi bộ thôn Púng Luông"


@dataclass(frozen=True)
class DemoPerson:
    card: str
    name: str
    cell: str
    born: str
    gender: Gender
    joined: str
    official: str | None
    citizen_id: str
    phone: str
    role: RoleKind | None = None
    exempt: bool = False
    committee: bool = False
    linked: bool = True


PEOPLE = [
    DemoPerson("DEMO-001", "Giàng A Páo", CELL_EAST, "12/03/1968", Gender.MALE, "19/05/1990", "19/05/1991", "015068000146", "0912345602", RoleKind.SECRETARY, committee=True),
    DemoPerson("DEMO-002", "Sùng Thị Mai", CELL_EAST, "02/09/1985", Gender.FEMALE, "03/02/2010", "03/02/2011", "015185000222", "0987654321", RoleKind.DEPUTY),
    DemoPerson("DEMO-003", "Lò Văn Thắng", CELL_EAST, "15/07/1946", Gender.MALE, "01/01/1968", "01/01/1969", "015046000333", "0355123456", exempt=True),
    DemoPerson("DEMO-004", "Vàng Thị Dợ", CELL_EAST, "20/11/1999", Gender.FEMALE, "10/10/2025", None, "015199000444", "0868111222"),
    DemoPerson("DEMO-005", "Nguyễn Văn Bình", CELL_EAST, "08/08/1958", Gender.MALE, "19/05/1980", "19/05/1981", "015058000555", "0977000555"),
    DemoPerson("DEMO-006", "Hoàng Thị Thu", CELL_EAST, "14/02/1962", Gender.FEMALE, "03/02/1988", "03/02/1989", "015162000666", "0977000666"),
    DemoPerson("DEMO-007", "Lý A Dình", CELL_EAST, "30/04/1975", Gender.MALE, "02/09/2000", "02/09/2001", "015075000777", "0388000777"),
    DemoPerson("DEMO-008", "Trần Văn Hùng", CELL_EAST, "01/06/1952", Gender.MALE, "19/05/1976", "19/05/1977", "015052000888", "0388000888"),
    DemoPerson("DEMO-009", "Phạm Thị Lan", CELL_EAST, "25/12/1990", Gender.FEMALE, "19/05/2016", "19/05/2017", "015190000999", "0904000999", linked=False),
    DemoPerson("DEMO-010", "Hờ A Chu", CELL_WEST, "05/05/1972", Gender.MALE, "02/09/1998", "02/09/1999", "015072001010", "0977001010", RoleKind.SECRETARY),
    DemoPerson("DEMO-011", "Lý Thị Sinh", CELL_WEST, "08/08/1980", Gender.FEMALE, "19/05/2005", "19/05/2006", "015180001111", "0977001111"),
    DemoPerson("DEMO-012", "Mùa A Vàng", CELL_WEST, "11/11/1966", Gender.MALE, "03/02/1992", "03/02/1993", "015066001212", "0977001212"),
]

# Simulated Telegram user ids, stable across runs.
FIRST_USER_ID = 700_001


def user_id_of(person: DemoPerson) -> int:
    return FIRST_USER_ID + PEOPLE.index(person)


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


async def seed(session: AsyncSession, cipher: FieldCipher) -> dict[str, Member]:
    rows = [
        MemberRow(
            line=index + 2,
            org_path=[PROVINCE, COMMUNE, person.cell],
            full_name=person.name,
            date_of_birth=_date(person.born),
            gender=person.gender,
            joined_on=_date(person.joined),
            official_on=_date(person.official) if person.official else None,
            card_number=person.card,
            citizen_id=person.citizen_id,
            phone=person.phone,
            role=person.role,
            exempt=person.exempt,
            committee_of=[PROVINCE, COMMUNE] if person.committee else None,
        )
        for index, person in enumerate(PEOPLE)
    ]
    await apply_rows(session, rows, cipher=cipher)
    members = {m.card_number: m for m in (await session.execute(select(Member).where(Member.card_number.in_([p.card for p in PEOPLE])))).scalars()}
    for person in PEOPLE:
        if not person.linked:
            continue
        member = members[person.card]
        user_id = str(user_id_of(person))
        exists = await session.scalar(select(ChannelLink.id).where(ChannelLink.platform == "telegram", ChannelLink.platform_user_id == user_id))
        if exists is None:
            session.add(ChannelLink(member_id=member.id, platform="telegram", platform_user_id=user_id, chat_id=user_id))
    await session.flush()
    return members
