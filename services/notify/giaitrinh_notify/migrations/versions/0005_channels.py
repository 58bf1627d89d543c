"""notify: webhook subscriptions and their secrets, people's channel preferences, the staff's inbox

Revision ID: 0005_channels
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_channels"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event_types", sa.Text(), nullable=False),
        sa.Column("locality_code", sa.String(20), nullable=True),
        sa.Column("description", sa.String(500), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_webhook_subscriptions_locality_code", "webhook_subscriptions", ["locality_code"])
    op.create_table(
        "webhook_secrets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("subscription_id", sa.String(36),
                  sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("secret", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_webhook_secrets_subscription_id", "webhook_secrets", ["subscription_id"])
    op.create_table(
        "notification_preferences",
        sa.Column("person", sa.String(80), primary_key=True),
        sa.Column("channels", sa.String(100), nullable=False, server_default=""),
        sa.Column("non_statutory", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "staff_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("delivery_key", sa.String(128), nullable=False, unique=True),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("locality_code", sa.String(20), nullable=True),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.Column("topic", sa.String(60), nullable=False, server_default=""),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(5), nullable=False, server_default="vi"),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_inbox_account_read", "staff_inbox", ["account_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_staff_inbox_account_read", table_name="staff_inbox")
    op.drop_table("staff_inbox")
    op.drop_table("notification_preferences")
    op.drop_index("ix_webhook_secrets_subscription_id", table_name="webhook_secrets")
    op.drop_table("webhook_secrets")
    op.drop_index("ix_webhook_subscriptions_locality_code", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
