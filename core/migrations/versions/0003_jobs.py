"""technicians: catalogue, stock ledger, quotes, completion, warranty, ratings

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import core.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('labour_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', core.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labour_items')),
    sa.UniqueConstraint('code', name=op.f('uq_labour_items_code'))
    )
    op.create_table('parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=100), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('warranty_months', sa.Integer(), nullable=False),
    sa.Column('min_level', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', core.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parts')),
    sa.UniqueConstraint('sku', name=op.f('uq_parts_sku'))
    )
    op.create_table('warehouses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_warehouses_technician_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warehouses')),
    sa.UniqueConstraint('key', name=op.f('uq_warehouses_key'))
    )
    op.create_table('stock_levels',
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('updated_at', core.models.UTCDateTime(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_stock_levels_quantity_not_negative')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_stock_levels_part_id_parts')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_stock_levels_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('warehouse_id', 'part_id', name=op.f('pk_stock_levels'))
    )
    op.create_table('completions',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('at', core.models.UTCDateTime(), nullable=False),
    sa.Column('parts_amount', sa.Integer(), nullable=False),
    sa.Column('labour_amount', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('checklist', sa.JSON(), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('work_done', sa.Text(), nullable=True),
    sa.Column('workmanship_until', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_completions_order_id_service_orders')),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_completions_technician_id_users')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_completions'))
    )
    op.create_table('diagnoses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('at', core.models.UTCDateTime(), nullable=False),
    sa.Column('fault', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_diagnoses_order_id_service_orders')),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_diagnoses_technician_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagnoses'))
    )
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diagnoses_order_id'), ['order_id'], unique=False)

    op.create_table('missing_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('at', core.models.UTCDateTime(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_missing_parts_order_id_service_orders')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_missing_parts_part_id_parts')),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_missing_parts_technician_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_missing_parts'))
    )
    with op.batch_alter_table('missing_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_missing_parts_order_id'), ['order_id'], unique=False)

    op.create_table('quotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('sent_at', core.models.UTCDateTime(), nullable=True),
    sa.Column('decided_at', core.models.UTCDateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_quotes_created_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_quotes_decided_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_quotes_order_id_service_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes')),
    sa.UniqueConstraint('order_id', 'version', name=op.f('uq_quotes_order_id'))
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quotes_order_id'), ['order_id'], unique=False)

    op.create_table('ratings',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', core.models.UTCDateTime(), nullable=False),
    sa.CheckConstraint('stars BETWEEN 1 AND 5', name=op.f('ck_ratings_stars_range')),
    sa.ForeignKeyConstraint(['customer_id'], ['users.id'], name=op.f('fk_ratings_customer_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_ratings_order_id_service_orders')),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_ratings_technician_id_users')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_ratings'))
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_technician_id'), ['technician_id'], unique=False)

    op.create_table('replaced_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('appliance_id', sa.Integer(), nullable=True),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('warranty', sa.Boolean(), nullable=False),
    sa.Column('warranty_months', sa.Integer(), nullable=False),
    sa.Column('warranty_until', sa.Date(), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appliance_id'], ['appliances.id'], name=op.f('fk_replaced_parts_appliance_id_appliances')),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_replaced_parts_order_id_service_orders')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_replaced_parts_part_id_parts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replaced_parts'))
    )
    with op.batch_alter_table('replaced_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replaced_parts_appliance_id'), ['appliance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_replaced_parts_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_replaced_parts_part_id'), ['part_id'], unique=False)

    op.create_table('stock_movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', core.models.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('other_warehouse_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_stock_movements_actor_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_stock_movements_order_id_service_orders')),
    sa.ForeignKeyConstraint(['other_warehouse_id'], ['warehouses.id'], name=op.f('fk_stock_movements_other_warehouse_id_warehouses')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_stock_movements_part_id_parts')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_stock_movements_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movements_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_part_id'), ['part_id'], unique=False)
        batch_op.create_index('ix_stock_movements_warehouse_part', ['warehouse_id', 'part_id'], unique=False)

    op.create_table('quote_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=True),
    sa.Column('labour_item_id', sa.Integer(), nullable=True),
    sa.Column('sku', sa.String(length=32), nullable=True),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('list_price', sa.Integer(), nullable=False),
    sa.Column('warranty', sa.Boolean(), nullable=False),
    sa.Column('warranty_months', sa.Integer(), nullable=True),
    sa.Column('covered_by_order_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['covered_by_order_id'], ['service_orders.id'], name=op.f('fk_quote_lines_covered_by_order_id_service_orders')),
    sa.ForeignKeyConstraint(['labour_item_id'], ['labour_items.id'], name=op.f('fk_quote_lines_labour_item_id_labour_items')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_quote_lines_part_id_parts')),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_lines_quote_id_quotes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_lines'))
    )
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_lines_quote_id'), ['quote_id'], unique=False)

    op.create_table('warranty_claim_parts',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('replaced_part_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_warranty_claim_parts_order_id_service_orders')),
    sa.ForeignKeyConstraint(['replaced_part_id'], ['replaced_parts.id'], name=op.f('fk_warranty_claim_parts_replaced_part_id_replaced_parts')),
    sa.PrimaryKeyConstraint('order_id', 'replaced_part_id', name=op.f('pk_warranty_claim_parts'))
    )
    # SQLite: plain ADD COLUMN, since batch mode would copy service_orders and drop the
    # original, which SQLite refuses while order_events point at it (see 0002).
    if op.get_context().dialect.name == 'sqlite':
        op.add_column('service_orders', sa.Column('arrived_at', core.models.UTCDateTime(), nullable=True))
        op.add_column('service_orders', sa.Column('completed_at', core.models.UTCDateTime(), nullable=True))
        op.add_column('service_orders', sa.Column('quote_total', sa.Integer(), nullable=True))
        op.add_column('service_orders', sa.Column('final_amount', sa.Integer(), nullable=True))
        op.add_column('service_orders', sa.Column('payment_method', sa.String(length=16), nullable=True))
        op.create_index(op.f('ix_service_orders_completed_at'), 'service_orders', ['completed_at'], unique=False)
    else:
        with op.batch_alter_table('service_orders', schema=None) as batch_op:
            batch_op.add_column(sa.Column('arrived_at', core.models.UTCDateTime(), nullable=True))
            batch_op.add_column(sa.Column('completed_at', core.models.UTCDateTime(), nullable=True))
            batch_op.add_column(sa.Column('quote_total', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('final_amount', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('payment_method', sa.String(length=16), nullable=True))
            batch_op.create_index(batch_op.f('ix_service_orders_completed_at'), ['completed_at'], unique=False)


def downgrade() -> None:
    if op.get_context().dialect.name == 'sqlite':
        # SQLite (3.35+) drops a column in place when no index or key uses it.
        op.drop_index(op.f('ix_service_orders_completed_at'), table_name='service_orders')
        for column in ('payment_method', 'final_amount', 'quote_total', 'completed_at', 'arrived_at'):
            op.drop_column('service_orders', column)
    else:
        with op.batch_alter_table('service_orders', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f('ix_service_orders_completed_at'))
            batch_op.drop_column('payment_method')
            batch_op.drop_column('final_amount')
            batch_op.drop_column('quote_total')
            batch_op.drop_column('completed_at')
            batch_op.drop_column('arrived_at')

    op.drop_table('warranty_claim_parts')
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_lines_quote_id'))

    op.drop_table('quote_lines')
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_warehouse_part')
        batch_op.drop_index(batch_op.f('ix_stock_movements_part_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_order_id'))

    op.drop_table('stock_movements')
    with op.batch_alter_table('replaced_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replaced_parts_part_id'))
        batch_op.drop_index(batch_op.f('ix_replaced_parts_order_id'))
        batch_op.drop_index(batch_op.f('ix_replaced_parts_appliance_id'))

    op.drop_table('replaced_parts')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ratings_technician_id'))

    op.drop_table('ratings')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quotes_order_id'))

    op.drop_table('quotes')
    with op.batch_alter_table('missing_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_missing_parts_order_id'))

    op.drop_table('missing_parts')
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diagnoses_order_id'))

    op.drop_table('diagnoses')
    op.drop_table('completions')
    op.drop_table('stock_levels')
    op.drop_table('warehouses')
    op.drop_table('parts')
    op.drop_table('labour_items')
