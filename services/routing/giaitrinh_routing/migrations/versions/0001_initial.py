"""routing: localities, cases, outbox and inbox

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
        "localities",
        sa.Column("code", sa.String(10), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False),
        sa.Column("division_type", sa.String(40), nullable=False),
    )
    op.create_index("ix_localities_province_code", "localities", ["province_code"])
    op.create_table(
        "cases",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(36), nullable=False, unique=True),
        sa.Column("tracking_code", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("locality_code", sa.String(10), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cases_locality_code", "cases", ["locality_code"])
    create_outbox_v1(op)
    create_inbox_v1(op)


def downgrade() -> None:
    drop_outbox_and_inbox_v1(op)
    op.drop_index("ix_cases_locality_code", table_name="cases")
    op.drop_table("cases")
    op.drop_index("ix_localities_province_code", table_name="localities")
    op.drop_table("localities")
