"""recordings: voice languages, members' listening language, human recordings, named readers,
the once-only reminder to record a published document

Revision ID: 9c3f1a7e5b24
Revises: c0a5e1d7b2f4
Create Date: 2026-12-07 14:30:00
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = '9c3f1a7e5b24'
down_revision: str | None = 'c0a5e1d7b2f4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The languages the issue names; the committee adds more (core.recordings.service.add_language).
LANGUAGES = [
    ("vi", "Tiếng Việt", 0),
    ("hmong", "Tiếng Hmông", 10),
    ("thai", "Tiếng Thái", 20),
    ("dao", "Tiếng Dao", 30),
    ("tay", "Tiếng Tày", 40),
    ("nung", "Tiếng Nùng", 50),
    ("khmer", "Tiếng Khmer", 60),
]


def upgrade() -> None:
    languages = op.create_table(
        'voice_languages',
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_voice_languages')),
        sa.UniqueConstraint('name', name=op.f('uq_voice_languages_name')),
    )
    now = dt.datetime.now(dt.timezone.utc)
    op.bulk_insert(languages, [{"code": c, "name": n, "position": p, "created_at": now} for c, n, p in LANGUAGES])
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listen_language', sa.String(length=16), server_default='vi', nullable=False))
    op.create_table(
        'recordings',
        sa.Column('id', BigIntPK, autoincrement=True, nullable=False),
        sa.Column('subject_kind', sa.String(length=16), nullable=False),
        sa.Column('subject_id', BigIntPK, nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('path', sa.String(length=512), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('duration', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', BigIntPK, nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['language'], ['voice_languages.code'], name=op.f('fk_recordings_language_voice_languages')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['members.id'], name=op.f('fk_recordings_recorded_by_id_members'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
        sa.UniqueConstraint('subject_kind', 'subject_id', 'language', name=op.f('uq_recordings_subject_kind_subject_id_language')),
    )
    op.create_table(
        'recording_readers',
        sa.Column('id', BigIntPK, autoincrement=True, nullable=False),
        sa.Column('subject_kind', sa.String(length=16), nullable=False),
        sa.Column('subject_id', BigIntPK, nullable=False),
        sa.Column('member_id', BigIntPK, nullable=False),
        sa.Column('named_by_id', BigIntPK, nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_recording_readers_member_id_members'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['named_by_id'], ['members.id'], name=op.f('fk_recording_readers_named_by_id_members'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recording_readers')),
        sa.UniqueConstraint('subject_kind', 'subject_id', 'member_id', name=op.f('uq_recording_readers_subject_kind_subject_id_member_id')),
    )
    op.create_table(
        'recording_reminders',
        sa.Column('document_id', BigIntPK, nullable=False),
        sa.Column('member_id', BigIntPK, nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_recording_reminders_document_id_documents'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_recording_reminders_member_id_members'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_id', name=op.f('pk_recording_reminders')),
    )


def downgrade() -> None:
    op.drop_table('recording_reminders')
    op.drop_table('recording_readers')
    op.drop_table('recordings')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('listen_language')
    op.drop_table('voice_languages')
