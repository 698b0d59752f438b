"""annual reports sent up: one row per (organisation, year), figures frozen as sent, versioned, acknowledged

Revision ID: 9c5e2a7d4b13
Revises: 4d2a8c6e1f37
Create Date: 2026-12-08 01:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import core.db


revision: str = '9c5e2a7d4b13'
down_revision: str | None = '4d2a8c6e1f37'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('annual_reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('sent', 'acknowledged', name='annual_report_state', native_enum=False, length=32), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('sent_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('sent_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('read_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['members.id'], name=op.f('fk_annual_reports_acknowledged_by_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_annual_reports_org_id_orgs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['members.id'], name=op.f('fk_annual_reports_sent_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_reports')),
    sa.UniqueConstraint('org_id', 'year', name=op.f('uq_annual_reports_org_id_year'))
    )
    op.create_index('ix_annual_reports_year_state', 'annual_reports', ['year', 'state'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_annual_reports_year_state', table_name='annual_reports')
    op.drop_table('annual_reports')
