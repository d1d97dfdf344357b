"""Consultation rounds with their scope, invitation codes and ratings.

Revision ID: 34a1fd4c1236
Revises: 6869ebade45f
Create Date: 2026-11-26 11:07:14.583547
"""

from alembic import op
import sqlalchemy as sa
import participation.db


revision = '34a1fd4c1236'
down_revision = '6869ebade45f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('title_de', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('description_de', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('opens_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stage', sa.Enum('scheduled', 'consolidation', 'published', name='round_stage', native_enum=False, create_constraint=True, length=32), server_default='scheduled', nullable=False),
    sa.Column('asks_importance', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('results_visibility', sa.Enum('live', 'after_close', name='results_visibility', native_enum=False, create_constraint=True, length=32), server_default='after_close', nullable=False),
    sa.Column('participation', sa.Enum('accounts', 'codes', name='round_participation', native_enum=False, create_constraint=True, length=32), server_default='accounts', nullable=False),
    sa.Column('created_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_early_at', participation.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_round_closes_after_opening')),
    sa.ForeignKeyConstraint(['version_id'], ['strategy_version.id'], name=op.f('fk_round_version_id_strategy_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round'))
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_version_id'), ['version_id'], unique=False)

    op.create_table('invitation_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('created_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('redeemed_by_id', sa.Integer(), nullable=True),
    sa.Column('redeemed_at', participation.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['redeemed_by_id'], ['user_account.id'], name=op.f('fk_invitation_code_redeemed_by_id_user_account')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_invitation_code_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_code')),
    sa.UniqueConstraint('code', name=op.f('uq_invitation_code_code')),
    sa.UniqueConstraint('round_id', 'redeemed_by_id', name=op.f('uq_invitation_code_round_id_redeemed_by_id'))
    )
    with op.batch_alter_table('invitation_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_code_round_id'), ['round_id'], unique=False)

    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Enum('agreement', 'importance', name='rating_question', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('value BETWEEN 0 AND 5', name=op.f('ck_rating_value_in_scale')),
    sa.ForeignKeyConstraint(['item_id'], ['strategy_item.id'], name=op.f('fk_rating_item_id_strategy_item')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_rating_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_rating_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating')),
    sa.UniqueConstraint('round_id', 'item_id', 'user_id', 'question', name=op.f('uq_rating_round_id_item_id_user_id_question'))
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index('ix_rating_results', ['round_id', 'item_id', 'question', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_user_id'), ['user_id'], unique=False)

    op.create_table('round_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['strategy_item.id'], name=op.f('fk_round_item_item_id_strategy_item')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_round_item_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_item')),
    sa.UniqueConstraint('round_id', 'item_id', name=op.f('uq_round_item_round_id_item_id'))
    )
    with op.batch_alter_table('round_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_item_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_item_round_id'), ['round_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('round_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_item_round_id'))
        batch_op.drop_index(batch_op.f('ix_round_item_item_id'))

    op.drop_table('round_item')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_user_id'))
        batch_op.drop_index('ix_rating_results')

    op.drop_table('rating')
    with op.batch_alter_table('invitation_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_code_round_id'))

    op.drop_table('invitation_code')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_version_id'))

    op.drop_table('round')
