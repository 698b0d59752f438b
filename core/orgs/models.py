"""The party tree, members and everything that ties a person to an account."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy import BigInteger, event, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import Base, BigIntPK, UTCDateTime, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store the readable value, and keep it a VARCHAR + CHECK so adding a value never needs ALTER TYPE.
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e], length=32)


class OrgKind(str, enum.Enum):
    COMMITTEE = "committee"
    CELL = "cell"


class Gender(str, enum.Enum):
    MALE = "male"
    FEMALE = "female"


class RoleKind(str, enum.Enum):
    SECRETARY = "secretary"
    DEPUTY = "deputy"
    COMMITTEE_MEMBER = "committee_member"  # of a committee (đảng bộ) or of a cell's chi ủy


class SpeechSpeed(str, enum.Enum):
    NORMAL = "normal"
    SLOW = "slow"


def path_ids(path: str) -> list[int]:
    """The ids in a materialised path, "/1/4/12/" → [1, 4, 12] (root first)."""
    return [int(part) for part in path.strip("/").split("/") if part]


class Org(Base):
    """An organisation: a committee (đảng bộ) or a cell (chi bộ, always a leaf).

    `path` is a materialised path of ids, "/1/4/12/", so "everything under X" is one
    indexed prefix query on either database.
    """

    __tablename__ = "orgs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind, "org_kind"))
    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(512), default="", index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    show_lunar_date: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Org | None] = relationship(remote_side="Org.id", lazy="raise")

    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    @property
    def is_cell(self) -> bool:
        return self.kind == OrgKind.CELL

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this organisation."""
        return path_ids(self.path)


class Member(Base):
    """A party member with the nine fields of Quy định 339-QĐ/TW plus handbook preferences."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    full_name: Mapped[str] = mapped_column(String(255))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(_enum(Gender, "gender"))
    joined_on: Mapped[dt.date] = mapped_column(Date)
    official_on: Mapped[dt.date | None] = mapped_column(Date)
    card_number: Mapped[str] = mapped_column(String(32), unique=True)
    citizen_id_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    citizen_id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    # An exempt member is not obliged to attend or study but follows the cell (notices, resolutions,
    # invitations marked "không bắt buộc") unless they turn it off in 👤 Hồ sơ.
    exempt_receives_notices: Mapped[bool] = mapped_column(Boolean, default=True)
    voice_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    speech_speed: Mapped[SpeechSpeed] = mapped_column(_enum(SpeechSpeed, "speech_speed"), default=SpeechSpeed.NORMAL)
    voice_name: Mapped[str] = mapped_column(String(32), default="vi")
    # The language the member listens in (core.recordings: a voice_languages code); recordings in
    # it come first, Vietnamese ones next, synthetic speech last.
    listen_language: Mapped[str] = mapped_column(String(16), default="vi", server_default="vi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The messenger that receives the member's messages when linked on several ("telegram", "zalo");
    # None: the one linked most recently (core.orgs.routing decides).
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Org] = relationship(lazy="raise")

    @property
    def is_probationary(self) -> bool:
        return self.official_on is None


class Membership(Base):
    """One span of a member's history: in this cell, exempt or not, from a local date (inclusive) to
    another (exclusive; None while it lasts).

    Figures of a past month count the spans that cover the month's last day, so a member imported
    today who joined years ago counts in every month since, a member moved on 15 November counts
    in the new cell for November and in the old one for October, and a member who left no longer
    counts from the month they left. `core.orgs.membership` writes it; every create, move,
    exemption and deactivation goes through there (a new member's first span is added on flush).
    """

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    member: Mapped[Member] = relationship(lazy="raise")

    __table_args__ = (Index("ix_memberships_org_id_valid_from", "org_id", "valid_from"),)


@event.listens_for(Session, "before_flush")
def _first_span(session: Session, _context: object, _instances: object) -> None:
    """Every new member's history starts at the date admitted, whoever created the row."""
    for obj in list(session.new):
        if isinstance(obj, Member) and obj.active is not False:
            org = obj.__dict__.get("org")  # Member(org=cell) leaves org_id unset until the flush
            org_id = obj.org_id if obj.org_id is not None or org is None else org.id
            session.add(Membership(member=obj, org_id=org_id, exempt=bool(obj.exempt), valid_from=obj.joined_on))


class OrgRole(Base):
    """A member's function in an organisation: secretary/deputy of a cell, committee member of a committee."""

    __tablename__ = "org_roles"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    role: Mapped[RoleKind] = mapped_column(_enum(RoleKind, "role_kind"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("member_id", "org_id", "role"),)


class ChannelLink(Base):
    """One member ⇔ one account per messenger platform."""

    __tablename__ = "channel_links"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the platform tells us the member blocked the bot (403): delivery stops trying.
    unreachable_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("platform", "platform_user_id"),
        UniqueConstraint("member_id", "platform"),
    )


class InviteCode(Base):
    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[str | None] = mapped_column(String(64))
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The token that created this one over the API (None: from the console). Revoking a token revokes
    # what it created; a child never lives longer than its parent.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True)


class ProcessedUpdate(Base):
    """Update ids already handled: webhooks are redelivered, and a redelivery must change nothing."""

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    processed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DirectoryVersion(Base):
    """One row: a number that changes, in the same transaction, with every change to what "who is
    asking" is made of (members, organisations, roles, which account belongs to whom).

    Database triggers change it (`directory_trigger_ddl`), so no code path — the ORM, a bulk UPDATE, the
    importer, a migration, psql — can change the directory without it. A process may keep who is
    asking in memory only while this number is the one it read with that copy (core.orgs.actor_cache).
    The number is at least the time in microseconds (a restored or re-seeded row never repeats a number
    a process saw before)."""

    __tablename__ = "directory_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


# What an actor is made of. channel_links: only which account is whose (`unreachable_since`, written
# by delivery after every send, is not).
DIRECTORY_TABLES = {
    "members": "",
    "orgs": "",
    "org_roles": "",
    "channel_links": " OF member_id, platform, platform_user_id",
}
_SQLITE_NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
_PG_NOW_US = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"


def directory_row_sql(dialect: str) -> str:
    """The one row, unless it is there (idempotent)."""
    if dialect == "postgresql":
        return f"INSERT INTO directory_version (id, version) VALUES (1, {_PG_NOW_US}) ON CONFLICT (id) DO NOTHING"
    return f"INSERT OR IGNORE INTO directory_version (id, version) VALUES (1, {_SQLITE_NOW_US})"


def directory_trigger_ddl(dialect: str) -> list[str]:
    """The statements that make every change to the directory tables change `directory_version`
    (idempotent: the migration and `create_all` both run them)."""
    if dialect == "postgresql":
        # A deferred constraint trigger runs at COMMIT (the row stays unlocked while the transaction
        # works) and once per transaction (a transaction-local setting remembers it ran); a change
        # rolled back to a savepoint takes its pending trigger with it.
        statements = [
            "CREATE OR REPLACE FUNCTION sotay_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  IF current_setting('sotay.directory_changed', true) IS DISTINCT FROM 'yes' THEN\n"
            "    PERFORM set_config('sotay.directory_changed', 'yes', true);\n"
            f"    UPDATE directory_version SET version = greatest(version + 1, {_PG_NOW_US}) WHERE id = 1;\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$",
            directory_row_sql(dialect),
        ]
        for table, columns in DIRECTORY_TABLES.items():
            statements += [
                f"DROP TRIGGER IF EXISTS directory_changed ON {table}",
                f"CREATE CONSTRAINT TRIGGER directory_changed AFTER INSERT OR DELETE OR UPDATE{columns} ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sotay_directory_changed()",
                f"DROP TRIGGER IF EXISTS directory_truncated ON {table}",
                f"CREATE TRIGGER directory_truncated AFTER TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION sotay_directory_changed()",
            ]
        return statements
    bump = f"UPDATE directory_version SET version = max(version + 1, {_SQLITE_NOW_US}) WHERE id = 1"
    statements = [directory_row_sql(dialect)]
    for table, columns in DIRECTORY_TABLES.items():
        for event_name in ("INSERT", "DELETE", f"UPDATE{columns}"):
            name = f"directory_{table}_{event_name.split()[0].lower()}"
            statements.append(f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event_name} ON {table} BEGIN {bump}; END")
    return statements


def directory_trigger_drop_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        statements = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for table in DIRECTORY_TABLES for name in ("directory_changed", "directory_truncated")]
        return [*statements, "DROP FUNCTION IF EXISTS sotay_directory_changed()"]
    return [f"DROP TRIGGER IF EXISTS directory_{table}_{kind}" for table in DIRECTORY_TABLES for kind in ("insert", "delete", "update")]


def install_directory_triggers(connection: Any) -> None:
    """On a synchronous connection: the row and the triggers (a schema made from the models)."""
    for statement in directory_trigger_ddl(connection.dialect.name):
        connection.execute(text(statement))


@event.listens_for(Base.metadata, "after_create")
def _directory_triggers(_metadata: Any, connection: Any, **_: Any) -> None:
    """A schema made from the models (tests, benches, `create_all`) has the triggers the migration makes."""
    install_directory_triggers(connection)


__all__ = [
    "ApiToken",
    "ChannelLink",
    "DirectoryVersion",
    "Gender",
    "InviteCode",
    "Member",
    "Membership",
    "Org",
    "OrgKind",
    "OrgRole",
    "ProcessedUpdate",
    "RoleKind",
    "SpeechSpeed",
]
