"""notify: in-app notifications, outbox and inbox

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
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("tracking_code", sa.String(20), nullable=False),
        sa.Column("topic", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("request_id", "topic", name="uq_notifications_request_topic"),
    )
    op.create_index("ix_notifications_tracking_code", "notifications", ["tracking_code"])
    create_outbox_v1(op)
    create_inbox_v1(op)


def downgrade() -> None:
    drop_outbox_and_inbox_v1(op)
    op.drop_index("ix_notifications_tracking_code", table_name="notifications")
    op.drop_table("notifications")
