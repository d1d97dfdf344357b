"""Initial schema: strategy versions and items, accounts, mail outbox, information pages.

Revision ID: 6869ebade45f
Revises: 
Create Date: 2026-11-26 10:51:55.255229
"""

from alembic import op
import sqlalchemy as sa
import participation.db


revision = '6869ebade45f'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('title_de', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('body_de', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=True),
    sa.Column('updated_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page')),
    sa.UniqueConstraint('slug', name=op.f('uq_page_slug'))
    )
    op.create_table('strategy_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('state', sa.Enum('draft', 'published', name='version_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('title_de', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('coordinates_intro_de', sa.Text(), nullable=True),
    sa.Column('coordinates_intro_en', sa.Text(), nullable=True),
    sa.Column('fields_intro_de', sa.Text(), nullable=True),
    sa.Column('fields_intro_en', sa.Text(), nullable=True),
    sa.Column('adopted_on', sa.Date(), nullable=True),
    sa.Column('created_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', participation.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy_version')),
    sa.UniqueConstraint('number', name=op.f('uq_strategy_version_number'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('display_name', sa.String(length=60), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.Enum('resident', 'moderator', 'admin', name='user_role', native_enum=False, create_constraint=True, length=32), server_default='resident', nullable=False),
    sa.Column('language', sa.Enum('de', 'en', name='user_language', native_enum=False, create_constraint=True, length=32), server_default='de', nullable=False),
    sa.Column('district', sa.Enum('mitte', 'nord', 'ost', 'west', 'suedost', 'hiltrup', name='user_district', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('privacy_consent_at', participation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', participation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', participation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', participation.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('queued', 'sent', 'failed', name='mail_state', native_enum=False, create_constraint=True, length=32), server_default='queued', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', participation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', participation.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_outbox_message_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_user_id'), ['user_id'], unique=False)

    op.create_table('strategy_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('vision', 'mission', 'coordinate', 'field', 'target', name='item_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_example', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('title_de', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=True),
    sa.Column('summary_de', sa.Text(), nullable=True),
    sa.Column('summary_en', sa.Text(), nullable=True),
    sa.Column('body_de', sa.Text(), nullable=True),
    sa.Column('body_en', sa.Text(), nullable=True),
    sa.CheckConstraint("(kind = 'target' AND parent_id IS NOT NULL) OR (kind <> 'target' AND parent_id IS NULL)", name=op.f('ck_strategy_item_target_has_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['strategy_item.id'], name=op.f('fk_strategy_item_parent_id_strategy_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['strategy_version.id'], name=op.f('fk_strategy_item_version_id_strategy_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy_item')),
    sa.UniqueConstraint('version_id', 'key', name=op.f('uq_strategy_item_version_id_key'))
    )
    with op.batch_alter_table('strategy_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_item_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_item_version_id'), ['version_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('strategy_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_item_version_id'))
        batch_op.drop_index(batch_op.f('ix_strategy_item_parent_id'))

    op.drop_table('strategy_item')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_user_id'))
        batch_op.drop_index('ix_outbox_message_due')

    op.drop_table('outbox_message')
    op.drop_table('user_account')
    op.drop_table('strategy_version')
    op.drop_table('page')
