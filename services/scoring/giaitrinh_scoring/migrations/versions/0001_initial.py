"""scoring: indicator values, outbox and inbox

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from giaitrinh_common.migrations import create_inbox_v1, create_outbox_v1, drop_outbox_and_inbox_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_values",
        sa.Column("locality_code", sa.String(10), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("indicator", sa.String(60), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    create_outbox_v1(op)
    create_inbox_v1(op)


def downgrade() -> None:
    drop_outbox_and_inbox_v1(op)
    op.drop_table("indicator_values")
