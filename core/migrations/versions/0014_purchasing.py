"""purchasing: suppliers and the parts they supply, purchase orders with their lines, events and
receipts; stock ledger rows name their purchase order

Revision ID: 0014
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=f'fk_{table}_{column}_{target}')


def upgrade() -> None:
    op.create_table(
        'suppliers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('contact', sa.Text(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_suppliers'))
    op.create_table(
        'supplier_parts',
        sa.Column('supplier_id', sa.Integer(), nullable=False),
        sa.Column('part_id', sa.Integer(), nullable=False),
        sa.Column('price', sa.Integer(), nullable=False),
        sa.Column('lead_days', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('price >= 0', name='ck_supplier_parts_price_not_negative'),
        sa.CheckConstraint('lead_days >= 0', name='ck_supplier_parts_lead_not_negative'),
        _fk('supplier_parts', 'supplier_id', 'suppliers'),
        _fk('supplier_parts', 'part_id', 'parts'),
        sa.PrimaryKeyConstraint('supplier_id', 'part_id', name='pk_supplier_parts'))
    op.create_index('ix_supplier_parts_part_id', 'supplier_parts', ['part_id'])
    op.create_table(
        'purchase_orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(16), nullable=True),
        sa.Column('supplier_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        _fk('purchase_orders', 'supplier_id', 'suppliers'),
        _fk('purchase_orders', 'created_by_id', 'users'),
        sa.PrimaryKeyConstraint('id', name='pk_purchase_orders'),
        sa.UniqueConstraint('number', name='uq_purchase_orders_number'))
    op.create_index('ix_purchase_orders_supplier_id', 'purchase_orders', ['supplier_id'])
    op.create_index('ix_purchase_orders_status', 'purchase_orders', ['status'])
    op.create_table(
        'purchase_order_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('part_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price', sa.Integer(), nullable=False),
        sa.Column('received', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.CheckConstraint('quantity > 0', name='ck_purchase_order_lines_quantity_positive'),
        sa.CheckConstraint('received >= 0 AND failed >= 0',
                           name='ck_purchase_order_lines_counts_not_negative'),
        _fk('purchase_order_lines', 'order_id', 'purchase_orders'),
        _fk('purchase_order_lines', 'part_id', 'parts'),
        sa.PrimaryKeyConstraint('id', name='pk_purchase_order_lines'),
        sa.UniqueConstraint('order_id', 'part_id', name='uq_purchase_order_lines_order_id'))
    op.create_index('ix_purchase_order_lines_order_id', 'purchase_order_lines', ['order_id'])
    op.create_table(
        'purchase_order_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('from_status', sa.String(16), nullable=True),
        sa.Column('to_status', sa.String(16), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        _fk('purchase_order_events', 'order_id', 'purchase_orders'),
        _fk('purchase_order_events', 'actor_id', 'users'),
        sa.PrimaryKeyConstraint('id', name='pk_purchase_order_events'))
    op.create_index('ix_purchase_order_events_order_id', 'purchase_order_events', ['order_id'])
    op.create_table(
        'purchase_receipts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('line_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('arrived', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('photo_file_id', sa.String(200), nullable=True),
        sa.CheckConstraint('arrived >= 0 AND failed >= 0 AND failed <= arrived',
                           name='ck_purchase_receipts_counts_valid'),
        _fk('purchase_receipts', 'order_id', 'purchase_orders'),
        _fk('purchase_receipts', 'line_id', 'purchase_order_lines'),
        _fk('purchase_receipts', 'actor_id', 'users'),
        sa.PrimaryKeyConstraint('id', name='pk_purchase_receipts'))
    op.create_index('ix_purchase_receipts_order_id', 'purchase_receipts', ['order_id'])
    with op.batch_alter_table('stock_movements') as batch:
        batch.add_column(sa.Column('purchase_order_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_stock_movements_purchase_order_id_purchase_orders',
                                 'purchase_orders', ['purchase_order_id'], ['id'])
    op.create_index('ix_stock_movements_purchase_order_id', 'stock_movements',
                    ['purchase_order_id'])


def downgrade() -> None:
    op.drop_index('ix_stock_movements_purchase_order_id', 'stock_movements')
    with op.batch_alter_table('stock_movements') as batch:
        batch.drop_constraint('fk_stock_movements_purchase_order_id_purchase_orders',
                              type_='foreignkey')
        batch.drop_column('purchase_order_id')
    for table in ('purchase_receipts', 'purchase_order_events', 'purchase_order_lines',
                  'purchase_orders', 'supplier_parts', 'suppliers'):
        op.drop_table(table)
