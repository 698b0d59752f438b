"""paid broadcasts: outbox rows sent as paid broadcasts, urgent notices and their cost in Stars

Revision ID: e4a7c2b9f1d3
Revises: d4a8c2f6b1e3
Create Date: 2026-12-07 22:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e4a7c2b9f1d3'
down_revision: str | None = 'd4a8c2f6b1e3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('paid_stars', sa.Numeric(precision=14, scale=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('paid_stars')
        batch_op.drop_column('urgent')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('paid')
