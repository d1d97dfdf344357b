"""Comments: the stance is optional (an official reply of the city need not take one).

Revision ID: b7d3e91a5c20
Revises: b88e5853fcea
Create Date: 2026-11-27 06:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'b7d3e91a5c20'
down_revision = 'b88e5853fcea'
branch_labels = None
depends_on = None

STANCE = sa.Enum('support', 'criticism', 'suggestion', 'question', name='comment_stance', native_enum=False,
                 create_constraint=True, length=32)


def upgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.alter_column('stance', existing_type=STANCE, nullable=True)


def downgrade() -> None:
    # Replies without a stance were answers of the city: "question" is the closest old value.
    op.execute("UPDATE comment SET stance = 'question' WHERE stance IS NULL")
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.alter_column('stance', existing_type=STANCE, nullable=False)
