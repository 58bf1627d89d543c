"""notify: the delivery ledger, and the directory of who to tell (requesters' contacts, staff, who handles each case)

Revision ID: 0004_deliveries
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_deliveries"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("delivery_key", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.Column("locality_code", sa.String(20), nullable=True),
        sa.Column("audience", sa.String(30), nullable=False),
        sa.Column("person", sa.String(80), nullable=True),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("template", sa.String(200), nullable=False),
        sa.Column("language", sa.String(5), nullable=False, server_default="vi"),
        sa.Column("statutory", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_request_id", "deliveries", ["request_id"])
    op.create_index("ix_deliveries_recipient", "deliveries", ["recipient"])
    op.create_table(
        "requester_contacts",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("tracking_code", sa.String(20), nullable=False),
        sa.Column("locality_code", sa.String(20), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("requester_link", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "staff_directory",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("localities", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=True),
        sa.Column("body", sa.String(40), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "case_handlers",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("locality_code", sa.String(20), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=True),
        sa.Column("official_id", sa.String(100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("case_handlers")
    op.drop_table("staff_directory")
    op.drop_table("requester_contacts")
    op.drop_index("ix_deliveries_recipient", table_name="deliveries")
    op.drop_index("ix_deliveries_request_id", table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
