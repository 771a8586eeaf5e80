"""labour items per appliance: a labour item may be for one appliance category (None: any)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('labour_items') as batch:
        batch.add_column(sa.Column('category', sa.String(32), nullable=True))
    op.create_index('ix_labour_items_category', 'labour_items', ['category'])


def downgrade() -> None:
    op.drop_index('ix_labour_items_category', 'labour_items')
    with op.batch_alter_table('labour_items') as batch:
        batch.drop_column('category')
