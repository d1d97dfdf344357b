"""Ratings keep three indexes per row instead of six (faster ballot imports and ratings);
top-level comment pages filtered by stance get their own partial indexes.

ix_rating_results goes (results come from the tallies; per-round queries use the account's
unique key, which leads with round and item); the ballot's unique key leads with the ballot and
replaces ix_rating_ballot_id; both it and ix_rating_user_id are partial, so online ratings skip
the ballot index and ballot ratings the account index.

Revision ID: f6a7b8c9d0e1
Revises: c3d9e1f27a40
Create Date: 2026-11-27 09:05:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'f6a7b8c9d0e1'
down_revision = 'c3d9e1f27a40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_results')
        batch_op.drop_index('ix_rating_ballot_id')
        batch_op.drop_index('ix_rating_user_id')
        batch_op.drop_constraint('uq_rating_round_id_item_id_ballot_id_question', type_='unique')
        batch_op.create_index('uq_rating_ballot', ['ballot_id', 'round_id', 'item_id', 'question'], unique=True,
                              postgresql_where=sa.text('ballot_id IS NOT NULL'),
                              sqlite_where=sa.text('ballot_id IS NOT NULL'))
        batch_op.create_index('ix_rating_user_id', ['user_id'], unique=False,
                              postgresql_where=sa.text('user_id IS NOT NULL'),
                              sqlite_where=sa.text('user_id IS NOT NULL'))


    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_top_stance_new', ['round_id', 'item_id', 'stance', 'created_at', 'id'],
                              unique=False, postgresql_where=sa.text('parent_id IS NULL'),
                              sqlite_where=sa.text('parent_id IS NULL'))
        batch_op.create_index('ix_comment_top_stance_helpful',
                              ['round_id', 'item_id', 'stance', 'helpful_count', 'id'], unique=False,
                              postgresql_where=sa.text('parent_id IS NULL'), sqlite_where=sa.text('parent_id IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_top_stance_helpful', postgresql_where=sa.text('parent_id IS NULL'),
                            sqlite_where=sa.text('parent_id IS NULL'))
        batch_op.drop_index('ix_comment_top_stance_new', postgresql_where=sa.text('parent_id IS NULL'),
                            sqlite_where=sa.text('parent_id IS NULL'))
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_user_id', postgresql_where=sa.text('user_id IS NOT NULL'),
                            sqlite_where=sa.text('user_id IS NOT NULL'))
        batch_op.drop_index('uq_rating_ballot', postgresql_where=sa.text('ballot_id IS NOT NULL'),
                            sqlite_where=sa.text('ballot_id IS NOT NULL'))
        batch_op.create_unique_constraint('uq_rating_round_id_item_id_ballot_id_question',
                                          ['round_id', 'item_id', 'ballot_id', 'question'])
        batch_op.create_index('ix_rating_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_rating_ballot_id', ['ballot_id'], unique=False)
        batch_op.create_index('ix_rating_results', ['round_id', 'item_id', 'question', 'value'], unique=False)
