"""Versions meet consolidation: version_change.proposal_id references proposal; proposals can be superseded.

Revision ID: c3d9e1f27a40
Revises: b7e3c1d92a40
Create Date: 2026-11-27 06:55:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'c3d9e1f27a40'
down_revision = 'b7e3c1d92a40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('version_change', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_version_change_proposal_id_proposal'), 'proposal',
                                    ['proposal_id'], ['id'])
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_proposal_superseded_by_id_proposal'), 'proposal',
                                    ['superseded_by_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposal_superseded_by_id_proposal'), type_='foreignkey')
        batch_op.drop_column('superseded_by_id')
    with op.batch_alter_table('version_change', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_version_change_proposal_id_proposal'), type_='foreignkey')
