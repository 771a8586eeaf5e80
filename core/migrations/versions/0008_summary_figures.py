"""the managers' summary kept as daily figures (summary_days, one mark per order in
summary_marks, the zone they are in in summary_state; filled by `python -m bot
rebuild-summaries`, which the bot also runs at start when needed); indexes for a technician's
jobs and the /orders filters at 1,000,000 orders

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
import core.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('summary_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'technician_id', 'metric', name=op.f('pk_summary_days'))
    )
    op.create_table('summary_marks',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('created_day', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('booked_day', sa.Date(), nullable=True),
    sa.Column('completed_day', sa.Date(), nullable=True),
    sa.Column('first_visit', sa.Boolean(), nullable=False),
    sa.Column('completion_seconds', sa.BigInteger(), nullable=False),
    sa.Column('revenue', sa.BigInteger(), nullable=False),
    sa.Column('revenue_parts', sa.BigInteger(), nullable=True),
    sa.Column('revenue_labour', sa.BigInteger(), nullable=True),
    sa.Column('arrived_day', sa.Date(), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=False),
    sa.Column('rated_day', sa.Date(), nullable=True),
    sa.Column('rating_technician_id', sa.Integer(), nullable=True),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_summary_marks'))
    )
    # A technician's open jobs (/jobs): how many (by status), and a page of them in the order
    # they are listed (by day and window).
    op.create_index('ix_service_orders_technician_status', 'service_orders',
                    ['technician_id', 'status'])
    op.create_index('ix_service_orders_technician_day', 'service_orders',
                    ['technician_id', 'booked_date', 'window_start', 'id'])
    op.create_table('summary_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('built_at', core.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_state'))
    )


def downgrade() -> None:
    op.drop_table('summary_state')
    op.drop_index('ix_service_orders_technician_day', 'service_orders')
    op.drop_index('ix_service_orders_technician_status', 'service_orders')
    op.drop_table('summary_marks')
    op.drop_table('summary_days')
