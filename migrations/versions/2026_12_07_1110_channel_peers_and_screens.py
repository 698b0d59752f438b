"""channel peers and screen memory: Zalo people's int ids and the numbered screens they answer

Revision ID: 7a4e2c91d0b3
Revises: 7a4e2c9d1f63
Create Date: 2026-12-07 11:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '7a4e2c91d0b3'
down_revision: str | None = '7a4e2c9d1f63'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel_peers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('platform_user_id', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_peers')),
    sa.UniqueConstraint('platform', 'platform_user_id', name=op.f('uq_channel_peers_platform_platform_user_id'))
    )
    op.create_table('channel_screens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('sent_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('platform_message_id', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('poll_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_screens'))
    )
    op.create_index('ix_channel_screens_chat', 'channel_screens', ['platform', 'chat_id', 'sent_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_channel_screens_chat', table_name='channel_screens')
    op.drop_table('channel_screens')
    op.drop_table('channel_peers')
