"""handover: a delivery's condition at handover, the customer's answer, the damage claim and
the manager's decision on the installation

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'handovers',
        sa.Column('order_id', sa.Integer(), sa.ForeignKey(
            'service_orders.id', name='fk_handovers_order_id_service_orders'), nullable=False),
        sa.Column('technician_id', sa.Integer(), sa.ForeignKey(
            'users.id', name='fk_handovers_technician_id_users'), nullable=False),
        sa.Column('condition', sa.String(16), nullable=False),
        sa.Column('photos', sa.JSON(), nullable=False),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.Column('customer_answer', sa.String(16), nullable=True),
        sa.Column('answered_at', UTCDateTime(), nullable=True),
        sa.Column('complaint_id', sa.Integer(), sa.ForeignKey(
            'complaints.id', name='fk_handovers_complaint_id_complaints'), nullable=True),
        sa.Column('decision', sa.String(16), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), sa.ForeignKey(
            'users.id', name='fk_handovers_decided_by_id_users'), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('order_id', name='pk_handovers'))


def downgrade() -> None:
    op.drop_table('handovers')
