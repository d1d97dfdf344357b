"""Rating tallies (results in O(items)), participants per round, partial comment indexes.

Revision ID: b7e3c1d92a40
Revises: b7d3e91a5c20
Create Date: 2026-11-27 06:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = 'b7e3c1d92a40'
down_revision = 'b7d3e91a5c20'
branch_labels = None
depends_on = None


def _channel(name):
    return sa.Enum('online', 'offline', name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table('rating_tally',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Enum('agreement', 'importance', name='rating_tally_question', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.Column('channel', _channel('rating_tally_channel'), nullable=False),
    sa.Column('n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('n_verified', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['strategy_item.id'], name=op.f('fk_rating_tally_item_id_strategy_item')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_rating_tally_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'item_id', 'question', 'value', 'channel', name=op.f('pk_rating_tally'))
    )
    op.create_table('participation_tally',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('channel', _channel('participation_tally_channel'), nullable=False),
    sa.Column('participants', sa.Integer(), server_default='0', nullable=False),
    sa.Column('verified', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_participation_tally_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'channel', name=op.f('pk_participation_tally'))
    )
    op.create_table('round_participant',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_round_participant_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_round_participant_user_id_user_account')),
    sa.PrimaryKeyConstraint('round_id', 'user_id', name=op.f('pk_round_participant'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_top_new', ['round_id', 'item_id', 'created_at', 'id'], unique=False,
                              postgresql_where=sa.text('parent_id IS NULL'), sqlite_where=sa.text('parent_id IS NULL'))
        batch_op.create_index('ix_comment_top_helpful', ['round_id', 'item_id', 'helpful_count', 'id'], unique=False,
                              postgresql_where=sa.text('parent_id IS NULL'), sqlite_where=sa.text('parent_id IS NULL'))

    # Fill the tallies from the ratings there are.
    op.execute("""
        INSERT INTO rating_tally (round_id, item_id, question, value, channel, n, n_verified)
        SELECT r.round_id, r.item_id, r.question, r.value,
               CASE WHEN r.ballot_id IS NULL THEN 'online' ELSE 'offline' END,
               count(*), count(c.id)
        FROM rating r
        LEFT JOIN invitation_code c ON c.round_id = r.round_id AND c.redeemed_by_id = r.user_id
        GROUP BY r.round_id, r.item_id, r.question, r.value,
                 CASE WHEN r.ballot_id IS NULL THEN 'online' ELSE 'offline' END
    """)
    op.execute("""
        INSERT INTO round_participant (round_id, user_id, ratings)
        SELECT round_id, user_id, count(*) FROM rating WHERE user_id IS NOT NULL GROUP BY round_id, user_id
    """)
    op.execute("""
        INSERT INTO participation_tally (round_id, channel, participants, verified)
        SELECT p.round_id, 'online', count(*), count(c.id)
        FROM round_participant p
        LEFT JOIN invitation_code c ON c.round_id = p.round_id AND c.redeemed_by_id = p.user_id
        GROUP BY p.round_id
    """)
    op.execute("""
        INSERT INTO participation_tally (round_id, channel, participants, verified)
        SELECT round_id, 'offline', count(DISTINCT ballot_id), 0
        FROM rating WHERE ballot_id IS NOT NULL GROUP BY round_id
    """)


def downgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_top_helpful', postgresql_where=sa.text('parent_id IS NULL'),
                            sqlite_where=sa.text('parent_id IS NULL'))
        batch_op.drop_index('ix_comment_top_new', postgresql_where=sa.text('parent_id IS NULL'),
                            sqlite_where=sa.text('parent_id IS NULL'))
    op.drop_table('round_participant')
    op.drop_table('participation_tally')
    op.drop_table('rating_tally')
