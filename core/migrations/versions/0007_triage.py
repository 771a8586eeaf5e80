"""triage: imported job history (what customers wrote, what was found, parts used) and
technicians' requests for the parts a job will likely need

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'triage_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=32), nullable=True),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('brand', sa.String(length=64), nullable=True),
        sa.Column('model', sa.String(length=64), nullable=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('diagnosis', sa.Text(), nullable=True),
        sa.Column('parts', sa.JSON(), nullable=False),
        sa.Column('first_visit_fixed', sa.Boolean(), nullable=True),
        sa.Column('imported_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_history')),
        sa.UniqueConstraint('reference', name=op.f('uq_triage_history_reference')),
    )
    op.create_index(op.f('ix_triage_history_category'), 'triage_history', ['category'])
    op.create_table(
        'parts_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('technician_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('parts', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'],
                                name=op.f('fk_parts_requests_order_id_service_orders')),
        sa.ForeignKeyConstraint(['technician_id'], ['users.id'],
                                name=op.f('fk_parts_requests_technician_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_parts_requests')),
    )
    op.create_index(op.f('ix_parts_requests_order_id'), 'parts_requests', ['order_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_parts_requests_order_id'), 'parts_requests')
    op.drop_table('parts_requests')
    op.drop_index(op.f('ix_triage_history_category'), 'triage_history')
    op.drop_table('triage_history')
