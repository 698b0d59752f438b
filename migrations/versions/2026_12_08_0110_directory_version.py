"""directory version: one number every change to members, organisations, roles and account links changes
(database triggers), so a process may keep who is asking in memory and know at once when it is stale

Revision ID: 7b3e91d04c52
Revises: 9c5e2a7d4b13
Create Date: 2026-12-08 01:10:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.orgs.models import directory_trigger_ddl, directory_trigger_drop_ddl

revision: str = '7b3e91d04c52'
down_revision: str | None = '9c5e2a7d4b13'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('directory_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_version'))
    )
    for statement in directory_trigger_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in directory_trigger_drop_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('directory_version')
