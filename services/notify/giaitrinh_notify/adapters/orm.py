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

# -- deliveries (revision 0004_deliveries) --------------------------------------------------
# The delivery ledger: one row per message (delivery key = hash of event id × recipient ×
# channel × template), written in the same transaction as the event's inbox row, before any
# send; the sender loop moves it pending → sending → sent (or parked / undeliverable).
deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("delivery_key", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("request_id", sa.String(36), nullable=True, index=True),
    sa.Column("locality_code", sa.String(20), nullable=True),
    sa.Column("audience", sa.String(30), nullable=False),
    sa.Column("person", sa.String(80), nullable=True),  # account:<id> / request:<tracking code>
    sa.Column("recipient", sa.String(300), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("template", sa.String(200), nullable=False),
    sa.Column("language", sa.String(5), nullable=False, server_default="vi"),
    sa.Column("statutory", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("context", sa.Text(), nullable=False),  # JSON: what the template is rendered from
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("provider_id", sa.String(300), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_deliveries_due", "status", "next_attempt_at"),
)

# Who to tell, kept from the streams (notify reads no other service's tables): the requester's
# and each joiner's contact (source = "submitted" or the joined event's id), staff from
# account.changed, and who handles each case from the case events.
requester_contacts = sa.Table(
    "requester_contacts", metadata,
    sa.Column("request_id", sa.String(36), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("tracking_code", sa.String(20), nullable=False),
    sa.Column("locality_code", sa.String(20), nullable=False),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("phone", sa.String(30), nullable=True),
    sa.Column("requester_link", sa.String(300), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # A joiner who left (request.join_withdrawn): the contact is cleared and nothing more is
    # sent to it; the row stays so that a late request.joined cannot bring the contact back.
    sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
)

staff_directory = sa.Table(
    "staff_directory", metadata,
    sa.Column("account_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("role", sa.String(30), nullable=False),
    sa.Column("localities", sa.Text(), nullable=False),  # JSON list of locality codes
    sa.Column("unit_code", sa.String(40), nullable=True),
    sa.Column("body", sa.String(40), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("phone", sa.String(30), nullable=True),
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

case_handlers = sa.Table(
    "case_handlers", metadata,
    sa.Column("request_id", sa.String(36), primary_key=True),
    sa.Column("locality_code", sa.String(20), nullable=False),
    sa.Column("unit_code", sa.String(40), nullable=True),
    sa.Column("official_id", sa.String(100), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
)

define_plumbing(metadata)  # outbox, inbox, waiting room, relay lease
