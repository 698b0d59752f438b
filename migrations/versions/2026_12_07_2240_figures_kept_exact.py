"""figures kept exact: the stored monthly figures change with each counted change, not by a periodic refresh

Revision ID: 4d2a8c6e1f37
Revises: e4a7c2b9f1d3
Create Date: 2026-12-07 22:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import core.db


revision: str = '4d2a8c6e1f37'
down_revision: str | None = 'e4a7c2b9f1d3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('figures_months',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('built_at', core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_figures_months'))
    )
    op.drop_table('figures_refreshes')
    # The old rows were a snapshot of some time: the tick job `keep_figures` builds the kept months anew.
    op.execute("DELETE FROM org_month_figures")


def downgrade() -> None:
    op.create_table('figures_refreshes',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('refreshed_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_figures_refreshes'))
    )
    op.drop_table('figures_months')
    op.execute("DELETE FROM org_month_figures")  # the old periodic refresh rebuilds its snapshot
