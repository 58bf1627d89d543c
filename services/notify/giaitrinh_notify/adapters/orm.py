"""Notify's tables. Changed only through Alembic revisions in ``migrations/``."""
from __future__ import annotations

import sqlalchemy as sa

from giaitrinh_common.storage import BigId, define_plumbing

metadata = sa.MetaData()

notifications = sa.Table(
    "notifications", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(36), nullable=False),
    sa.Column("tracking_code", sa.String(20), nullable=False, index=True),
    sa.Column("topic", sa.String(40), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # The case's version the message tells of (0: receipt, registration).
    sa.Column("step", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("title_en", sa.String(200), nullable=False, server_default=""),
    sa.Column("body_en", sa.Text(), nullable=False, server_default=""),
    # One message per request, topic and step, however often the event arrives; a step taken
    # again later (a second explanation) is a step of its own.
    sa.UniqueConstraint("request_id", "topic", "step", name="uq_notifications_request_topic_step"),
)

# -- channels (revision 0005_channels) ------------------------------------------------------
# Systems that asked for webhooks; their secrets in the next table (symmetric HMAC keys, so kept
# as they are: whoever reads this table can sign, which is why only notify reads it).
webhook_subscriptions = sa.Table(
    "webhook_subscriptions", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("event_types", sa.Text(), nullable=False),  # JSON list; ["*"] for every type
    sa.Column("locality_code", sa.String(20), nullable=True, index=True),  # None: every locality
    sa.Column("description", sa.String(500), nullable=False, server_default=""),
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

webhook_secrets = sa.Table(
    "webhook_secrets", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("subscription_id", sa.String(36),
              sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("secret", sa.String(120), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),  # None: the current one
)

# People's choices: channels in order (comma-separated), and whether they take non-statutory
# messages. ``person``: account:<id> or request:<tracking code> (domain/preferences.py).
notification_preferences = sa.Table(
    "notification_preferences", metadata,
    sa.Column("person", sa.String(80), primary_key=True),
    sa.Column("channels", sa.String(100), nullable=False, server_default=""),
    sa.Column("non_statutory", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# The staff's in-app inbox: one row per delivered message (the delivery key is unique, so a
# message delivered twice is one row), unread while read_at is empty.
staff_inbox = sa.Table(
    "staff_inbox", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
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
    sa.Index("ix_staff_inbox_account_read", "account_id", "read_at"),
)

define_plumbing(metadata)  # outbox, inbox, waiting room, relay lease
