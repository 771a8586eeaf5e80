"""reminders: what the service owes people and when; the Telegram language of each user

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import core.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('part_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('due_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('claimed_until', core.models.UTCDateTime(), nullable=True),
    sa.Column('sent_at', core.models.UTCDateTime(), nullable=True),
    sa.Column('dropped_at', core.models.UTCDateTime(), nullable=True),
    sa.Column('dropped_why', sa.String(length=32), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_reminders_order_id_service_orders')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_reminders_part_id_parts')),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_reminders_recipient_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('key', name=op.f('uq_reminders_key'))
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_due', ['sent_at', 'dropped_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_order_id'), ['order_id'], unique=False)

    # Plain ALTER TABLE: SQLite cannot copy users (batch mode) while other tables point at it.
    op.add_column('users', sa.Column('telegram_language', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'telegram_language')

    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_order_id'))
        batch_op.drop_index('ix_reminders_due')

    op.drop_table('reminders')
