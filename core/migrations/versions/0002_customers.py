"""customers: booking windows, sales orders and their lookups, order category and sales link

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import core.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('booking_windows',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('window', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', core.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'window', name=op.f('pk_booking_windows'))
    )
    op.create_table('sales_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('number_key', sa.String(length=32), nullable=False),
    sa.Column('customer_name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('brand', sa.String(length=64), nullable=True),
    sa.Column('model', sa.String(length=64), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sales_orders_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_orders')),
    sa.UniqueConstraint('number_key', name=op.f('uq_sales_orders_number_key'))
    )
    op.create_table('sales_lookups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('at', core.models.UTCDateTime(), nullable=False),
    sa.Column('typed_number', sa.String(length=32), nullable=False),
    sa.Column('sales_order_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['users.id'], name=op.f('fk_sales_lookups_customer_id_users')),
    sa.ForeignKeyConstraint(['sales_order_id'], ['sales_orders.id'], name=op.f('fk_sales_lookups_sales_order_id_sales_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_lookups'))
    )
    with op.batch_alter_table('sales_lookups', schema=None) as batch_op:
        batch_op.create_index('ix_sales_lookups_customer_at', ['customer_id', 'at'], unique=False)

    if op.get_context().dialect.name == 'sqlite':
        # Batch mode would copy service_orders and drop the original, which SQLite refuses
        # while order_events point at it; ADD COLUMN may carry the reference instead.
        op.execute(
            "ALTER TABLE service_orders ADD COLUMN sales_order_id INTEGER"
            " CONSTRAINT fk_service_orders_sales_order_id_sales_orders"
            " REFERENCES sales_orders (id)"
        )
        op.add_column('service_orders', sa.Column('category', sa.String(length=32), nullable=True))
        op.create_index(op.f('ix_service_orders_sales_order_id'), 'service_orders', ['sales_order_id'], unique=False)
    else:
        with op.batch_alter_table('service_orders', schema=None) as batch_op:
            batch_op.add_column(sa.Column('category', sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column('sales_order_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f('ix_service_orders_sales_order_id'), ['sales_order_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f('fk_service_orders_sales_order_id_sales_orders'), 'sales_orders', ['sales_order_id'], ['id'])

    # Orders from before this revision take their category from their appliance.
    op.execute(
        "UPDATE service_orders SET category = (SELECT appliances.category FROM appliances"
        " WHERE appliances.id = service_orders.appliance_id) WHERE appliance_id IS NOT NULL"
    )


def downgrade() -> None:
    sqlite = op.get_context().dialect.name == 'sqlite'
    if sqlite:
        # Batch mode copies service_orders; its old copy can only be dropped with the
        # references from order_events unchecked (takes effect outside a transaction).
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        if not sqlite:  # SQLite keeps the reference unnamed; the copy leaves it out
            batch_op.drop_constraint(batch_op.f('fk_service_orders_sales_order_id_sales_orders'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_service_orders_sales_order_id'))
        batch_op.drop_column('sales_order_id')
        batch_op.drop_column('category')
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")

    with op.batch_alter_table('sales_lookups', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_lookups_customer_at')

    op.drop_table('sales_lookups')
    op.drop_table('sales_orders')
    op.drop_table('booking_windows')
