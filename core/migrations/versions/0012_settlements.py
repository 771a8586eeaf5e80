"""settlement: bill checks (a manager's resolution of a bill differing from its quote or the
parts issued) and technicians' days of cash confirmed

Revision ID: 0012
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bill_checks',
        sa.Column('order_id', sa.Integer(), sa.ForeignKey(
            'service_orders.id', name='fk_bill_checks_order_id_service_orders'), nullable=False),
        sa.Column('fingerprint', sa.String(500), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('resolved_by_id', sa.Integer(), sa.ForeignKey(
            'users.id', name='fk_bill_checks_resolved_by_id_users'), nullable=False),
        sa.Column('resolved_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('order_id', name='pk_bill_checks'))
    op.create_table(
        'cash_settlements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('technician_id', sa.Integer(), sa.ForeignKey(
            'users.id', name='fk_cash_settlements_technician_id_users'), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('cash_expected', sa.Integer(), nullable=False),
        sa.Column('transfers', sa.Integer(), nullable=False),
        sa.Column('payments', sa.Integer(), nullable=False),
        sa.Column('handed_in', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), sa.ForeignKey(
            'users.id', name='fk_cash_settlements_confirmed_by_id_users'), nullable=False),
        sa.Column('confirmed_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_cash_settlements'),
        sa.UniqueConstraint('technician_id', 'day', name='uq_cash_settlements_technician_id'))
    op.create_index('ix_cash_settlements_day', 'cash_settlements', ['day'])


def downgrade() -> None:
    op.drop_index('ix_cash_settlements_day', 'cash_settlements')
    op.drop_table('cash_settlements')
    op.drop_table('bill_checks')
