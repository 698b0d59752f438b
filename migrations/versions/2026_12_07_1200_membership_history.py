"""membership history: who was in which cell, exempt or not, on any day; exempt members in the figures; exempt members follow their cell by default; a committee acknowledges or returns a report

Backfills one span per member from today's rows: from the date admitted (joined_on), open while
the member is active; a retired record's span ends on the day the row was last changed (the best
the old schema knows). Stored monthly figures were counted from today's rows, so they are
dropped and recomputed by the next refresh.

Revision ID: 7a4e2c9d1b36
Revises: 7a4e2c9d1f63
Create Date: 2026-12-07 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '7a4e2c9d1b36'
down_revision: str | None = '7a4e2c91d0b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('memberships',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('exempt', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_memberships_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_memberships_org_id_orgs'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_memberships_org_id_valid_from', ['org_id', 'valid_from'], unique=False)
    with op.batch_alter_table('org_month_figures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exempt', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('monthly_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_at', core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('review_comment', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_monthly_reports_reviewed_by_id_members'), 'members', ['reviewed_by_id'], ['id'],
                                    ondelete='SET NULL')

    ended = "CAST(updated_at AS DATE)" if op.get_bind().dialect.name == "postgresql" else "date(updated_at)"
    op.execute(
        "INSERT INTO memberships (member_id, org_id, exempt, valid_from, valid_to) "
        "SELECT id, org_id, exempt, joined_on, "
        f"CASE WHEN active THEN NULL WHEN {ended} > joined_on THEN {ended} ELSE joined_on END FROM members"
    )
    # Exempt members follow their cell by default now (they turn it off in 👤 Hồ sơ): the old
    # default (False) was nobody's choice, so every record takes the new one.
    op.execute("UPDATE members SET exempt_receives_notices = true")
    op.execute("DELETE FROM org_month_figures")
    op.execute("DELETE FROM figures_refreshes")


def downgrade() -> None:
    with op.batch_alter_table('monthly_reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_monthly_reports_reviewed_by_id_members'), type_='foreignkey')
        batch_op.drop_column('review_comment')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('reviewed_at')
    with op.batch_alter_table('org_month_figures', schema=None) as batch_op:
        batch_op.drop_column('exempt')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_memberships_org_id_valid_from')
        batch_op.drop_index(batch_op.f('ix_memberships_member_id'))
    op.drop_table('memberships')
