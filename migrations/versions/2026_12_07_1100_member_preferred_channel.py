"""member preferred channel: which messenger receives a member linked on several

Revision ID: 7a4e2c9d1f63
Revises: 3c1d7e9a5b20
Create Date: 2026-12-07 11:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7a4e2c9d1f63'
down_revision: str | None = '3c1d7e9a5b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch_op:
        batch_op.add_column(sa.Column('preferred_channel', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('members') as batch_op:
        batch_op.drop_column('preferred_channel')
