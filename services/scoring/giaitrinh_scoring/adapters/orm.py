"""Scoring's tables. Changed only through Alembic revisions in ``migrations/``."""
from __future__ import annotations

import sqlalchemy as sa

from giaitrinh_common.storage import define_inbox, define_outbox

metadata = sa.MetaData()

indicator_values = sa.Table(
    "indicator_values", metadata,
    sa.Column("locality_code", sa.String(10), primary_key=True),
    sa.Column("period", sa.String(10), primary_key=True),
    sa.Column("indicator", sa.String(60), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)

outbox = define_outbox(metadata)
inbox = define_inbox(metadata)
