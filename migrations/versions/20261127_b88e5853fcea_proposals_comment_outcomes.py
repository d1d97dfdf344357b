"""Consolidation: proposals, the comments they cite, and comment outcomes.

Revision ID: b88e5853fcea
Revises: a47e3b6131c9
Create Date: 2026-11-27 05:35:46.481477
"""

from alembic import op
import sqlalchemy as sa
import participation.db


revision = 'b88e5853fcea'
down_revision = 'a47e3b6131c9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('amend', 'add', 'remove', 'keep', name='proposal_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('place_kind', sa.Enum('target', 'coordinate', name='proposal_place_kind', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('place_parent_id', sa.Integer(), nullable=True),
    sa.Column('place_position', sa.Integer(), nullable=True),
    sa.Column('title_de', sa.String(length=300), nullable=True),
    sa.Column('title_en', sa.String(length=300), nullable=True),
    sa.Column('summary_de', sa.Text(), nullable=True),
    sa.Column('summary_en', sa.Text(), nullable=True),
    sa.Column('body_de', sa.Text(), nullable=True),
    sa.Column('body_en', sa.Text(), nullable=True),
    sa.Column('rationale_de', sa.Text(), nullable=False),
    sa.Column('rationale_en', sa.Text(), nullable=True),
    sa.Column('state', sa.Enum('draft', 'in_review', 'changes_requested', 'recommended', 'accepted', 'accepted_modified', 'rejected', 'deferred', 'withdrawn', name='proposal_state', native_enum=False, create_constraint=True, length=32), server_default='draft', nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_at', participation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=True),
    sa.Column('snapshot_at', participation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'add') = (item_id IS NULL)", name=op.f('ck_proposal_item_unless_add')),
    sa.CheckConstraint("kind <> 'add' OR place_kind IS NOT NULL", name=op.f('ck_proposal_add_has_place')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_proposal_author_id_user_account')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_proposal_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['item_id'], ['strategy_item.id'], name=op.f('fk_proposal_item_id_strategy_item')),
    sa.ForeignKeyConstraint(['place_parent_id'], ['strategy_item.id'], name=op.f('fk_proposal_place_parent_id_strategy_item')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_proposal_reviewer_id_user_account')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_proposal_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal'))
    )
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_proposal_round_state', ['round_id', 'state'], unique=False)

    op.create_table('comment_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('incorporated', 'partly', 'not_adopted', 'out_of_scope', 'duplicate', 'noted', name='comment_outcome_code', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.Column('explicit', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_comment_outcome_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_comment_outcome_proposal_id_proposal'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['set_by_id'], ['user_account.id'], name=op.f('fk_comment_outcome_set_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_outcome')),
    sa.UniqueConstraint('comment_id', name=op.f('uq_comment_outcome_comment_id'))
    )
    op.create_table('proposal_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_proposal_comment_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_comment_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_comment')),
    sa.UniqueConstraint('proposal_id', 'comment_id', name=op.f('uq_proposal_comment_proposal_id_comment_id'))
    )
    with op.batch_alter_table('proposal_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_comment_comment_id'), ['comment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('proposal_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_comment_comment_id'))

    op.drop_table('proposal_comment')
    op.drop_table('comment_outcome')
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index('ix_proposal_round_state')
        batch_op.drop_index(batch_op.f('ix_proposal_item_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_author_id'))

    op.drop_table('proposal')
