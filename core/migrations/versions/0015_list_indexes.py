"""list indexes: when an order last went in progress (the overdue filter), and a day's orders
by status (the /orders today filter and the morning digest)

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # "Overdue" looks up, for each order in progress, when it last went in progress: one
    # index entry read backwards (index-only on PostgreSQL, with from_status included)
    # instead of every event of the order read from the table.
    op.create_index('ix_order_events_entered', 'order_events', ['order_id', 'to_status', 'at'],
                    postgresql_include=['from_status'])
    # Today's orders that are not cancelled, counted and paged from the index alone (the
    # page's order is by window_start, then id).
    op.create_index('ix_service_orders_day_status', 'service_orders',
                    ['booked_date', 'status', 'window_start', 'id'])


def downgrade() -> None:
    op.drop_index('ix_service_orders_day_status', 'service_orders')
    op.drop_index('ix_order_events_entered', 'order_events')
