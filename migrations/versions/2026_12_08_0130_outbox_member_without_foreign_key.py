"""outbox.member_id without a foreign key: members are never deleted, and the check locked the member's row for every message queued

Revision ID: 7b3e9d2a4c18
Revises: 7b3e91d04c52
Create Date: 2026-12-08 01:30:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op


revision: str = '7b3e9d2a4c18'
down_revision: str | None = '7b3e91d04c52'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_member_id_members'), type_='foreignkey')


def downgrade() -> None:
    # Rows of members deleted meanwhile (none: members are retired, never deleted) lose the member.
    op.execute("UPDATE outbox SET member_id = NULL WHERE member_id IS NOT NULL AND member_id NOT IN (SELECT id FROM members)")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_outbox_member_id_members'), 'members', ['member_id'], ['id'], ondelete='SET NULL')
