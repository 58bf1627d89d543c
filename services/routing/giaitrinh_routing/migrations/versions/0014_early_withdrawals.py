"""routing: a requester's withdrawal read before its case was opened is remembered, and the case opens withdrawn

Revision ID: 0014_early_withdrawals
Revises: 0013_case_received_on
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_early_withdrawals"
down_revision = "0013_case_received_on"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "early_withdrawals",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("locality_code", sa.String(10), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("remembered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("early_withdrawals")
