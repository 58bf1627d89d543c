"""Routing's tables. Changed only through Alembic revisions in ``migrations/``."""
from __future__ import annotations

import sqlalchemy as sa

from giaitrinh_common.storage import define_plumbing

metadata = sa.MetaData()

localities = sa.Table(
    "localities", metadata,
    sa.Column("code", sa.String(10), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("province_code", sa.String(4), nullable=False, index=True),
    sa.Column("division_type", sa.String(40), nullable=False),
)

cases = sa.Table(
    "cases", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("request_id", sa.String(36), nullable=False, unique=True),
    sa.Column("tracking_code", sa.String(20), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("locality_code", sa.String(10), nullable=False, index=True),
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
)

define_plumbing(metadata)  # outbox, inbox, waiting room, relay lease
