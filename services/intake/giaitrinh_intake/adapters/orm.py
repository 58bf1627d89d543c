"""Intake's tables. Changed only through Alembic revisions in ``migrations/``."""
from __future__ import annotations

import sqlalchemy as sa

from giaitrinh_common.storage import BigId, define_plumbing

metadata = sa.MetaData()

requests = sa.Table(
    "requests", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("tracking_code", sa.String(20), nullable=False, unique=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("locality_code", sa.String(10), nullable=False, index=True),
    sa.Column("locality_name", sa.String(200), nullable=False),
    sa.Column("province_code", sa.String(4), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("requester_type", sa.String(20), nullable=False),
    sa.Column("full_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("address", sa.String(500), nullable=False, server_default=""),
    sa.Column("email", sa.String(254), nullable=False, server_default=""),
    sa.Column("phone", sa.String(30), nullable=False, server_default=""),
    sa.Column("wants_notifications", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source_system", sa.String(100), nullable=True),
    sa.Column("external_id", sa.String(200), nullable=True),
    sa.UniqueConstraint("source_system", "external_id", name="uq_requests_external_ref"),
)

timeline_entries = sa.Table(
    "timeline_entries", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("step", sa.String(40), nullable=False),
    # A refusal names its ground and, for another agency's matter, that agency (200 characters).
    sa.Column("label_vi", sa.String(500), nullable=False),
    sa.Column("label_en", sa.String(500), nullable=False),
    # For a step of the case: the case's version (its identity: one entry per version, however
    # often the event is delivered or replayed) and state after it, the next step's deadline,
    # and whether the step met its own.
    sa.Column("case_version", sa.Integer(), nullable=True),
    sa.Column("state", sa.String(20), nullable=True),
    sa.Column("due_by", sa.Date(), nullable=True),
    sa.Column("on_time", sa.Boolean(), nullable=True),
    sa.UniqueConstraint("request_id", "case_version", name="uq_timeline_entries_request_version"),
)

# Nội dung giải trình: each explanation given (again after an upheld dispute), kept for
# publication; the meeting's minutes are not kept here (they name the people who met).
answers = sa.Table(
    "answers", metadata,
    sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), primary_key=True),
    sa.Column("case_version", sa.Integer(), primary_key=True),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("on_time", sa.Boolean(), nullable=True),
    sa.Column("explanation", sa.Text(), nullable=False),
    sa.Column("legal_basis", sa.Text(), nullable=False),
    sa.Column("commitments", sa.JSON(), nullable=False),
)

# Tìm kiếm công khai: one row per request the public may find, with the text to search
# (what may be published of it). The full-text index is the engine's own, made by revision
# 0006: FTS5 table search_entries_fts on SQLite (folded text, rowid = id), a GIN index on
# to_tsvector('simple', giaitrinh_unaccent(document)) on PostgreSQL.
search_entries = sa.Table(
    "search_entries", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), nullable=False, unique=True),
    sa.Column("locality_code", sa.String(10), nullable=False),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("document", sa.Text(), nullable=False),
    sa.Index("ix_search_entries_locality_submitted", "locality_code", "submitted_at"),
    sa.Index("ix_search_entries_submitted_at", "submitted_at"),
)
# Made by a migration for one engine only, so never compared with these models.
metadata.info.setdefault("engine_specific", set()).update({
    "search_entries_fts", "search_entries_fts_data", "search_entries_fts_idx",
    "search_entries_fts_content", "search_entries_fts_docsize", "search_entries_fts_config",
    "ix_search_entries_fulltext",
})

# The first answer to a POST that carried an Idempotency-Key, per key and route, until it
# expires (giaitrinh_intake.adapters.idempotency); status NULL while the first is running.
idempotency_keys = sa.Table(
    "idempotency_keys", metadata,
    sa.Column("scope", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer(), nullable=True),
    sa.Column("content_type", sa.String(200), nullable=True),
    sa.Column("location", sa.String(500), nullable=True),
    sa.Column("body", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_idempotency_keys_expires_at", "expires_at"),
)

define_plumbing(metadata)  # outbox, inbox, waiting room, relay lease
