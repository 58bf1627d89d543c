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
    sa.Column("received_by", sa.String(100), nullable=True),  # the recording official's account id
    sa.Column("received_on", sa.Date(), nullable=True),
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

# What the submission form asks beyond the request itself (revision 0005_submission): the
# decision or act concerned, where, the requester's ID number (personal data: never public),
# consent to publish the answer, the hash of the requester's secret link (the link itself is
# never stored), and what the requester did with it.
submission_details = sa.Table(
    "submission_details", metadata,
    sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), primary_key=True),
    sa.Column("decision_concerned", sa.String(2000), nullable=False, server_default=""),
    sa.Column("location_text", sa.String(500), nullable=False, server_default=""),
    sa.Column("latitude", sa.Float(), nullable=True),
    sa.Column("longitude", sa.Float(), nullable=True),
    sa.Column("id_number", sa.String(12), nullable=False, server_default=""),
    sa.Column("consent_to_publish", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("link_sha256", sa.String(64), nullable=True, unique=True),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("rating", sa.Integer(), nullable=True),
    sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True),
)

# Tệp đính kèm: kept in the database, in the transaction that stores the request and its
# outbox event, so a request is never accepted with a file missing nor a file left without its
# request, and every web process of a shared deployment sees it without a shared volume.
request_attachments = sa.Table(
    "request_attachments", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(40), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary(), nullable=False),
    sa.UniqueConstraint("request_id", "position", name="uq_request_attachments_position"),
)

# Cùng kiến nghị: people who joined a request instead of filing the same one again (Decree
# 59/2019 Art. 10); their contact is personal data and stays here. Each joiner has a secret
# link of their own (revision 0008_joiner_links: its hash, the id of the request.joined event
# notify knows their contact by, and what they did with it — left the request, rated).
request_joiners = sa.Table(
    "request_joiners", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), nullable=False, index=True),
    sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("full_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("email", sa.String(254), nullable=False, server_default=""),
    sa.Column("phone", sa.String(30), nullable=False, server_default=""),
    sa.Column("wants_notifications", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("link_sha256", sa.String(64), nullable=True),
    sa.Column("joined_event_id", sa.String(36), nullable=True),
    sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("rating", sa.Integer(), nullable=True),
    sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_request_joiners_link_sha256", "link_sha256", unique=True),
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
    # The files attached to it (id, type, size; never their names): routing serves them (0011_answer_files).
    sa.Column("files", sa.JSON(), nullable=True),
    # The key of each of those files ({file id: key}), from case.answered: it opens the file to the
    # requester, published or not, so only their own page shows it (0012_answer_file_keys).
    sa.Column("file_keys", sa.JSON(), nullable=True),
)

# Tìm kiếm công khai: one row per request the public may find, with the text to search
# (what may be published of it). The full-text index is the engine's own, made by revision
# 0006: FTS5 table search_entries_fts on SQLite (folded text, rowid = id); on PostgreSQL a
# stored generated column document_tsv = to_tsvector('simple', giaitrinh_unaccent(document))
# and a GIN index on it (without a pending list since revision 0008_search_index), and the
# table search_words (word text COLLATE "C" PRIMARY KEY, 0008): every word the documents held,
# for the word still being typed.
search_entries = sa.Table(
    "search_entries", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), nullable=False, unique=True),
    sa.Column("locality_code", sa.String(10), nullable=False),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("document", sa.Text(), nullable=False),
    sa.Index("ix_search_entries_locality_submitted", "locality_code", "submitted_at"),
    sa.Index("ix_search_entries_submitted_at", "submitted_at", "id"),
    sa.Index("ix_search_entries_field_submitted", "field", "submitted_at"),
)
# Made by a migration for one engine only, so never compared with these models.
metadata.info.setdefault("engine_specific", set()).update({
    "search_entries_fts", "search_entries_fts_data", "search_entries_fts_idx",
    "search_entries_fts_content", "search_entries_fts_docsize", "search_entries_fts_config",
    "ix_search_entries_fulltext", "document_tsv", "search_words",
})

# The first answer to a POST that carried an Idempotency-Key, per key and route, until it
# expires (giaitrinh_intake.adapters.idempotency); status NULL while the first is running. The
# key is kept as its SHA-256 and the answer sealed with a key only the client holds.
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

# Intake's copy of routing's registry, fed by its events (latest ``changed_at`` wins): the
# localities routing serves, with their units and fields, and the systems allowed to publish
# (known by their API key's SHA-256 only). Nothing else decides which localities intake serves.
registry_localities = sa.Table(
    "localities", metadata,
    sa.Column("code", sa.String(10), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("province_code", sa.String(4), nullable=False),
    sa.Column("province_name", sa.String(200), nullable=False),
    sa.Column("division_type", sa.String(40), nullable=False),
    sa.Column("served", sa.Boolean(), nullable=False),
    sa.Column("units", sa.JSON(), nullable=False),  # [{code, name, kind?, fields: [...]}]
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_localities_served", "served"),
)

registry_publishers = sa.Table(
    "publishers", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("key_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("localities", sa.JSON(), nullable=False),  # the codes it may publish for
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

define_plumbing(metadata)  # outbox, inbox, waiting room, relay lease
