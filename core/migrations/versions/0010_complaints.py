"""complaints: a customer's complaint about an order, handled by one manager, with its
timeline; an order's priority (normal, urgent, important) and important customers

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('important', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table('service_orders') as batch:
        batch.add_column(sa.Column('priority', sa.String(length=12), nullable=False,
                                   server_default='normal'))
    op.create_table(
        'complaints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=16), nullable=True),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('technician_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('photos', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=True),
        sa.Column('resolution', sa.String(length=16), nullable=True),
        sa.Column('amount', sa.Integer(), nullable=True),
        sa.Column('resolution_note', sa.Text(), nullable=True),
        sa.Column('revisit_order_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('taken_at', UTCDateTime(), nullable=True),
        sa.Column('resolved_at', UTCDateTime(), nullable=True),
        sa.Column('closed_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'],
                                name=op.f('fk_complaints_order_id_service_orders')),
        sa.ForeignKeyConstraint(['customer_id'], ['users.id'],
                                name=op.f('fk_complaints_customer_id_users')),
        sa.ForeignKeyConstraint(['technician_id'], ['users.id'],
                                name=op.f('fk_complaints_technician_id_users')),
        sa.ForeignKeyConstraint(['manager_id'], ['users.id'],
                                name=op.f('fk_complaints_manager_id_users')),
        sa.ForeignKeyConstraint(['revisit_order_id'], ['service_orders.id'],
                                name=op.f('fk_complaints_revisit_order_id_service_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
        sa.UniqueConstraint('number', name=op.f('uq_complaints_number')),
    )
    for column in ('order_id', 'customer_id', 'technician_id', 'status', 'created_at',
                   'resolved_at'):
        op.create_index(op.f(f'ix_complaints_{column}'), 'complaints', [column])
    op.create_table(
        'complaint_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('action', sa.String(length=24), nullable=False),
        sa.Column('from_status', sa.String(length=16), nullable=True),
        sa.Column('to_status', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                                name=op.f('fk_complaint_events_complaint_id_complaints')),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                                name=op.f('fk_complaint_events_actor_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_events')),
    )
    op.create_index(op.f('ix_complaint_events_complaint_id'), 'complaint_events',
                    ['complaint_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_complaint_events_complaint_id'), 'complaint_events')
    op.drop_table('complaint_events')
    for column in ('order_id', 'customer_id', 'technician_id', 'status', 'created_at',
                   'resolved_at'):
        op.drop_index(op.f(f'ix_complaints_{column}'), 'complaints')
    op.drop_table('complaints')
    with op.batch_alter_table('service_orders') as batch:
        batch.drop_column('priority')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('important')
