"""Offline ballots (paper, workshop, phone) as participants of a round; voluntary age bracket.

Revision ID: fb7a61fd1923
Revises: 4164e6c2119a
Create Date: 2026-11-27 05:33:12.829923
"""

from alembic import op
import sqlalchemy as sa
import participation.db


revision = 'fb7a61fd1923'
down_revision = '4164e6c2119a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.Enum('paper', 'workshop', 'phone', name='ballot_channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('district', sa.Enum('mitte', 'nord', 'ost', 'west', 'suedost', 'hiltrup', name='ballot_district', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('age_bracket', sa.Enum('16-24', '25-39', '40-59', '60+', name='ballot_age_bracket', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('created_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_ballot_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('round_id', 'code', name=op.f('uq_ballot_round_id_code'))
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_round_id'), ['round_id'], unique=False)

    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_id', sa.Integer(), nullable=True))
        batch_op.alter_column('user_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_rating_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_rating_round_id_item_id_ballot_id_question'), ['round_id', 'item_id', 'ballot_id', 'question'])
        batch_op.create_foreign_key(batch_op.f('fk_rating_ballot_id_ballot'), 'ballot', ['ballot_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_rating_one_participant'), '(user_id IS NULL) <> (ballot_id IS NULL)')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('age_bracket', sa.Enum('16-24', '25-39', '40-59', '60+', name='user_age_bracket', native_enum=False, create_constraint=True, length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_user_age_bracket'), type_='check')
        batch_op.drop_column('age_bracket')

    # Offline ratings have no account to keep them; they go with their ballots.
    op.execute('DELETE FROM rating WHERE ballot_id IS NOT NULL')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_rating_one_participant'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_rating_ballot_id_ballot'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_rating_round_id_item_id_ballot_id_question'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_rating_ballot_id'))
        batch_op.alter_column('user_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('ballot_id')

    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_round_id'))

    op.drop_table('ballot')
