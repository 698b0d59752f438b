"""api token parent: a token created by another token is revoked with it and never outlives it

Revision ID: 7a4e2c9d1f03
Revises: 7a4e2c9d1b36
Create Date: 2026-12-07 11:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7a4e2c9d1f03'
down_revision: str | None = '7a4e2c9d1b36'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_tokens_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_parent_id_api_tokens'), 'api_tokens', ['parent_id'], ['id'],
                                    ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_parent_id_api_tokens'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_tokens_parent_id'))
        batch_op.drop_column('parent_id')
