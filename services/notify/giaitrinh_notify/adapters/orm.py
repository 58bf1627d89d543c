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

define_plumbing(metadata)  # outbox, inbox, waiting room, relay lease
