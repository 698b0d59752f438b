"""outbox sent by: which worker process sent each row

Revision ID: 5d2b8e61c0a7
Revises: 7a4e2c9d1f03
Create Date: 2026-12-07 12:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5d2b8e61c0a7'
down_revision: str | None = '7a4e2c9d1f03'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_by', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('sent_by')
