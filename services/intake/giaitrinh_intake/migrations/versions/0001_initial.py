"""intake: requests, public timeline, outbox and inbox

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
        "requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tracking_code", sa.String(20), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("locality_code", sa.String(10), nullable=False),
        sa.Column("locality_name", sa.String(200), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("requester_type", sa.String(20), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("address", sa.String(500), nullable=False, server_default=""),
        sa.Column("email", sa.String(254), nullable=False, server_default=""),
        sa.Column("phone", sa.String(30), nullable=False, server_default=""),
        sa.Column("wants_notifications", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_system", sa.String(100), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.UniqueConstraint("source_system", "external_id", name="uq_requests_external_ref"),
    )
    op.create_index("ix_requests_locality_code", "requests", ["locality_code"])
    op.create_table(
        "timeline_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("label_vi", sa.String(200), nullable=False),
        sa.Column("label_en", sa.String(200), nullable=False),
    )
    op.create_index("ix_timeline_entries_request_id", "timeline_entries", ["request_id"])
    create_outbox_v1(op)
    create_inbox_v1(op)


def downgrade() -> None:
    drop_outbox_and_inbox_v1(op)
    op.drop_index("ix_timeline_entries_request_id", table_name="timeline_entries")
    op.drop_table("timeline_entries")
    op.drop_index("ix_requests_locality_code", table_name="requests")
    op.drop_table("requests")
