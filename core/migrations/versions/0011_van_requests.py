"""van replenishment requests and count sheets; stock ledger rows name their document

Revision ID: 0011
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'van_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('technician_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['technician_id'], ['users.id'],
                                name='fk_van_requests_technician_id_users'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name='fk_van_requests_decided_by_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_van_requests'))
    op.create_index('ix_van_requests_technician_id', 'van_requests', ['technician_id'])
    op.create_index('ix_van_requests_status', 'van_requests', ['status'])
    op.create_table(
        'van_request_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('part_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('approved', sa.Integer(), nullable=True),
        sa.CheckConstraint('quantity > 0', name='ck_van_request_lines_quantity_positive'),
        sa.ForeignKeyConstraint(['request_id'], ['van_requests.id'],
                                name='fk_van_request_lines_request_id_van_requests'),
        sa.ForeignKeyConstraint(['part_id'], ['parts.id'],
                                name='fk_van_request_lines_part_id_parts'),
        sa.PrimaryKeyConstraint('id', name='pk_van_request_lines'),
        sa.UniqueConstraint('request_id', 'part_id', name='uq_van_request_lines_request_id'))
    op.create_index('ix_van_request_lines_request_id', 'van_request_lines', ['request_id'])
    op.create_table(
        'count_sheets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('warehouse_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('counted_by_id', sa.Integer(), nullable=False),
        sa.Column('counted_at', UTCDateTime(), nullable=False),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'],
                                name='fk_count_sheets_warehouse_id_warehouses'),
        sa.ForeignKeyConstraint(['counted_by_id'], ['users.id'],
                                name='fk_count_sheets_counted_by_id_users'),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'],
                                name='fk_count_sheets_confirmed_by_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_count_sheets'))
    op.create_index('ix_count_sheets_warehouse_id', 'count_sheets', ['warehouse_id'])
    op.create_index('ix_count_sheets_status', 'count_sheets', ['status'])
    op.create_table(
        'count_sheet_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sheet_id', sa.Integer(), nullable=False),
        sa.Column('part_id', sa.Integer(), nullable=False),
        sa.Column('system', sa.Integer(), nullable=False),
        sa.Column('counted', sa.Integer(), nullable=False),
        sa.CheckConstraint('counted >= 0', name='ck_count_sheet_lines_counted_not_negative'),
        sa.ForeignKeyConstraint(['sheet_id'], ['count_sheets.id'],
                                name='fk_count_sheet_lines_sheet_id_count_sheets'),
        sa.ForeignKeyConstraint(['part_id'], ['parts.id'],
                                name='fk_count_sheet_lines_part_id_parts'),
        sa.PrimaryKeyConstraint('id', name='pk_count_sheet_lines'),
        sa.UniqueConstraint('sheet_id', 'part_id', name='uq_count_sheet_lines_sheet_id'))
    op.create_index('ix_count_sheet_lines_sheet_id', 'count_sheet_lines', ['sheet_id'])
    with op.batch_alter_table('stock_movements') as batch:
        batch.add_column(sa.Column('van_request_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('count_sheet_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_stock_movements_van_request_id_van_requests',
                                 'van_requests', ['van_request_id'], ['id'])
        batch.create_foreign_key('fk_stock_movements_count_sheet_id_count_sheets',
                                 'count_sheets', ['count_sheet_id'], ['id'])
    op.create_index('ix_stock_movements_van_request_id', 'stock_movements', ['van_request_id'])
    op.create_index('ix_stock_movements_count_sheet_id', 'stock_movements', ['count_sheet_id'])


def downgrade() -> None:
    op.drop_index('ix_stock_movements_count_sheet_id', 'stock_movements')
    op.drop_index('ix_stock_movements_van_request_id', 'stock_movements')
    with op.batch_alter_table('stock_movements') as batch:
        batch.drop_constraint('fk_stock_movements_count_sheet_id_count_sheets', type_='foreignkey')
        batch.drop_constraint('fk_stock_movements_van_request_id_van_requests', type_='foreignkey')
        batch.drop_column('count_sheet_id')
        batch.drop_column('van_request_id')
    for table in ('count_sheet_lines', 'count_sheets', 'van_request_lines', 'van_requests'):
        op.drop_table(table)
