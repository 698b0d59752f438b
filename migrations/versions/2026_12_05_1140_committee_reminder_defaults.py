"""committee reminder defaults: the re-planning of a committee's cells, a batch per tick

Revision ID: 3c1d7e9a5b20
Revises: bff1cee41069
Create Date: 2026-12-05 11:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '3c1d7e9a5b20'
down_revision: str | None = 'bff1cee41069'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reminder_replans',
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('keys', sa.JSON(), nullable=False),
    sa.Column('changed_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('after_cell_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_reminder_replans_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_reminder_replans'))
    )


def downgrade() -> None:
    op.drop_table('reminder_replans')
