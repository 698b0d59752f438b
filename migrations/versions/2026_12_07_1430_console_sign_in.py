"""console sign-in: one-time links from the bot and browser sessions, both stored hashed

Revision ID: c0a5e1d7b2f4
Revises: 5d2b8e61c0a7
Create Date: 2026-12-07 14:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'c0a5e1d7b2f4'
down_revision: str | None = '5d2b8e61c0a7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'console_login_links',
        sa.Column('id', _ID, nullable=False),
        sa.Column('member_id', _ID, nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
        sa.Column('expires_at', core.db.UTCDateTime(), nullable=False),
        sa.Column('used_at', core.db.UTCDateTime(), nullable=True),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_console_login_links_member_id_members'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_login_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_console_login_links_token_hash')),
    )
    op.create_index(op.f('ix_console_login_links_member_id'), 'console_login_links', ['member_id'], unique=False)
    op.create_table(
        'console_sessions',
        sa.Column('id', _ID, nullable=False),
        sa.Column('member_id', _ID, nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', core.db.UTCDateTime(), nullable=False),
        sa.Column('expires_at', core.db.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', core.db.UTCDateTime(), nullable=True),
        sa.Column('via', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_console_sessions_member_id_members'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_console_sessions_token_hash')),
    )
    op.create_index(op.f('ix_console_sessions_member_id'), 'console_sessions', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_console_sessions_member_id'), table_name='console_sessions')
    op.drop_table('console_sessions')
    op.drop_index(op.f('ix_console_login_links_member_id'), table_name='console_login_links')
    op.drop_table('console_login_links')
