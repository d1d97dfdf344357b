"""Next strategy version: what made each change (proposals, editorial changes), the council
decision's reference, the base version, and the opt-in for update mails.

Revision ID: a47e3b6131c9
Revises: fb7a61fd1923
Create Date: 2026-11-27 05:50:00.000000
"""

from alembic import op
import sqlalchemy as sa
import participation.db


revision = 'a47e3b6131c9'
down_revision = 'fb7a61fd1923'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('strategy_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('council_reference', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('based_on_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_strategy_version_based_on_id_strategy_version'),
                                    'strategy_version', ['based_on_id'], ['id'])

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_strategy_updates', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    op.create_table('editorial_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=120), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('created_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['user_account.id'], name=op.f('fk_editorial_change_editor_id_user_account')),
    sa.ForeignKeyConstraint(['version_id'], ['strategy_version.id'], name=op.f('fk_editorial_change_version_id_strategy_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_editorial_change'))
    )
    with op.batch_alter_table('editorial_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_editorial_change_version_id'), ['version_id'], unique=False)

    op.create_table('version_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('amend', 'add', 'remove', 'keep', 'editorial', name='version_change_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('editorial_change_id', sa.Integer(), nullable=True),
    sa.Column('created_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(proposal_id IS NULL) <> (editorial_change_id IS NULL)', name=op.f('ck_version_change_one_source')),
    sa.ForeignKeyConstraint(['editorial_change_id'], ['editorial_change.id'], name=op.f('fk_version_change_editorial_change_id_editorial_change'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['strategy_version.id'], name=op.f('fk_version_change_version_id_strategy_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_version_change'))
    )
    with op.batch_alter_table('version_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_version_change_editorial_change_id'), ['editorial_change_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_version_change_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index('ix_version_change_version_key', ['version_id', 'item_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('version_change', schema=None) as batch_op:
        batch_op.drop_index('ix_version_change_version_key')
        batch_op.drop_index(batch_op.f('ix_version_change_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_version_change_editorial_change_id'))
    op.drop_table('version_change')
    with op.batch_alter_table('editorial_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_editorial_change_version_id'))
    op.drop_table('editorial_change')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('notify_strategy_updates')

    with op.batch_alter_table('strategy_version', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_strategy_version_based_on_id_strategy_version'), type_='foreignkey')
        batch_op.drop_column('based_on_id')
        batch_op.drop_column('council_reference')
