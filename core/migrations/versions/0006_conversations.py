"""conversations as one row a chat written with each step, handled updates, the owner of a
reminder's claim, brands as company data; chat_states goes

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'conversations',
        sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('flow', sa.String(length=32), nullable=True),
        sa.Column('step', sa.String(length=32), nullable=True),
        sa.Column('draft', sa.JSON(), nullable=False),
        sa.Column('question_id', sa.BigInteger(), nullable=True),
        sa.Column('question_from', sa.BigInteger(), nullable=True),
        sa.Column('outbox', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_conversations')),
    )
    op.create_table(
        'handled_updates',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('update_id', name=op.f('pk_handled_updates')),
    )
    op.create_index(op.f('ix_handled_updates_at'), 'handled_updates', ['at'])
    brands = op.create_table(
        'brands',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('name_zh', sa.String(length=64), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_brands')),
    )
    op.bulk_insert(brands, [
        {"name": name, "name_zh": name_zh, "position": position}
        for position, (name, name_zh) in enumerate((
            ("Haier", "海尔"), ("Midea", "美的"), ("Gree", "格力"), ("Hisense", "海信"),
            ("TCL", "TCL"), ("Siemens", "西门子"), ("Panasonic", "松下"), ("Samsung", "三星"),
            ("LG", "LG")))])
    # Which sender holds a reminder's claim: only that one may mark it sent.
    op.add_column('reminders', sa.Column('claimed_by', sa.String(length=32), nullable=True))
    # PTB's pickled-in-JSON conversations and drafts: the new engine keeps its own rows.
    op.drop_table('chat_states')


def downgrade() -> None:
    op.drop_table('brands')
    op.drop_column('reminders', 'claimed_by')
    op.create_table(
        'chat_states',
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('data', sa.JSON(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'key', name=op.f('pk_chat_states')),
    )
    op.drop_index(op.f('ix_handled_updates_at'), 'handled_updates')
    op.drop_table('handled_updates')
    op.drop_table('conversations')
