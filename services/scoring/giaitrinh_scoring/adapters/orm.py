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

# Scoring's copy of routing's registry (locality.changed; the latest changed_at wins): which
# localities are served and their units, each with the fields it handles.
localities = sa.Table(
    "localities", metadata,
    sa.Column("code", sa.String(10), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("province_code", sa.String(4), nullable=False),
    sa.Column("served", sa.Boolean(), nullable=False),
    sa.Column("units", sa.JSON(), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

define_plumbing(metadata)  # outbox, inbox, waiting room, relay lease
