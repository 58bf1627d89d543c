"""Scoring's tables. Changed only through Alembic revisions in ``migrations/``."""
from __future__ import annotations

import sqlalchemy as sa

from giaitrinh_common.storage import define_plumbing

metadata = sa.MetaData()

indicator_values = sa.Table(
    "indicator_values", metadata,
    sa.Column("locality_code", sa.String(10), primary_key=True),
    sa.Column("period", sa.String(10), primary_key=True),
    sa.Column("indicator", sa.String(60), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)

define_plumbing(metadata)  # outbox, inbox, waiting room, relay lease
