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

# Vi phạm: one row per (case, kind, step) — the unique key that makes an event told twice, or a
# violation told by two events, one flag. ``raised_by`` is the earliest event that told of it.
violation_flags = sa.Table(
    "violation_flags", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("step", sa.String(100), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("tracking_code", sa.String(40), nullable=True),
    sa.Column("locality_code", sa.String(10), nullable=False),
    sa.Column("unit_code", sa.String(40), nullable=True),
    sa.Column("official_id", sa.String(100), nullable=True),
    sa.Column("due_on", sa.Date(), nullable=True),
    sa.Column("raised_by", sa.String(64), nullable=False),
    sa.Column("raised_by_type", sa.String(200), nullable=False),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    # A repeatedly transferred case's units, in order (0005_repeated_transfers); null on others.
    sa.Column("units", sa.JSON(), nullable=True),
    sa.UniqueConstraint("case_id", "kind", "step", name="uq_violation_flags_once"),
    sa.Index("ix_violation_flags_locality", "locality_code", "raised_at"),
)

# Whose hands each case is in, from its steps (the latest version wins): a flag raised by an
# alert that does not name the official names them from here.
cases_on_record = sa.Table(
    "cases_on_record", metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("tracking_code", sa.String(40), nullable=True),
    sa.Column("unit_code", sa.String(40), nullable=True),
    sa.Column("official_id", sa.String(100), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
)

# Each transfer of a case (case.transferred), one row per case version: the repeated-transfers
# flag is decided from all of a case's transfers in their own order, whatever the arrival order.
case_transfers = sa.Table(
    "case_transfers", metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("locality_code", sa.String(10), nullable=False),
    sa.Column("tracking_code", sa.String(40), nullable=True),
    sa.Column("from_unit", sa.String(40), nullable=True),
    sa.Column("to_unit", sa.String(40), nullable=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

# Mức độ hài lòng per unit and official (0006_satisfaction_by_answerer). Each answer of a
# request (case.answered): who gave it and for which unit, one row per case version.
answers_on_record = sa.Table(
    "answers_on_record", metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("locality_code", sa.String(10), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("unit_code", sa.String(40), nullable=True),
    sa.Column("official_id", sa.String(100), nullable=True),
    sa.Index("ix_answers_on_record_request", "request_id"),
)

# Each rating (request.rated, by its event id) and the answer it is counted for: null while no
# answer of its request is known (it waits, counted for the locality only, never dropped).
ratings_on_record = sa.Table(
    "ratings_on_record", metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("locality_code", sa.String(10), nullable=False),
    sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("stars", sa.Integer(), nullable=False),
    sa.Column("answer_case_id", sa.String(64), nullable=True),
    sa.Column("answer_version", sa.Integer(), nullable=True),
    sa.Index("ix_ratings_on_record_request", "request_id"),
    sa.Index("ix_ratings_on_record_locality", "locality_code", "rated_at"),
)

# The indicators of each unit and official (accountable_kind: unit | official) of a locality
# per period, as indicator_values holds the locality's: today the ratings of their answers.
accountable_indicator_values = sa.Table(
    "accountable_indicator_values", metadata,
    sa.Column("locality_code", sa.String(10), primary_key=True),
    sa.Column("period", sa.String(10), primary_key=True),
    sa.Column("accountable_kind", sa.String(10), primary_key=True),
    sa.Column("accountable_id", sa.String(100), primary_key=True),
    sa.Column("indicator", sa.String(60), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)

# Who each staff account is, from routing's account.changed (0007_official_names; the latest
# changed_at wins): the name the pages and the flags show beside the account id. No email or
# phone: scoring writes to nobody, so it keeps no one's contact.
officials = sa.Table(
    "officials", metadata,
    sa.Column("account_id", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("unit_code", sa.String(40), nullable=True),
    sa.Column("localities", sa.JSON(), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

define_plumbing(metadata)  # outbox, inbox, waiting room, relay lease
