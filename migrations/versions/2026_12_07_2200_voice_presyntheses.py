"""voice presyntheses: readings made before anyone taps 🔊

Revision ID: d4a8c2f6b1e3
Revises: b7e3c1a9d5f2
Create Date: 2026-12-07 22:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import core.db


revision: str = 'd4a8c2f6b1e3'
down_revision: str | None = 'b7e3c1a9d5f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('voice_presyntheses',
    sa.Column('subject_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('queued_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('claimed_until', core.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('done_at', core.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('subject_kind', 'subject_id', name=op.f('pk_voice_presyntheses'))
    )
    with op.batch_alter_table('voice_presyntheses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_presyntheses_queued_at'), ['queued_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('voice_presyntheses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_presyntheses_queued_at'))
    op.drop_table('voice_presyntheses')
