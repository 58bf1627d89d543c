"""intake: public search of requests (a search table; FTS5 on SQLite, unaccent + full text on
PostgreSQL) and the answers kept for Idempotency-Key

Revision ID: 0006_search_and_idempotency
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_search_and_idempotency"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "search_entries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), nullable=False, unique=True),
        sa.Column("locality_code", sa.String(10), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
    )
    op.create_index("ix_search_entries_locality_submitted", "search_entries", ["locality_code", "submitted_at"])
    op.create_index("ix_search_entries_submitted_at", "search_entries", ["submitted_at", "id"])
    op.create_index("ix_search_entries_field_submitted", "search_entries", ["field", "submitted_at"])
    if op.get_bind().dialect.name == "postgresql":
        # unaccent() is only STABLE (its dictionary could change), so an index cannot use it;
        # the wrapper names the dictionary and is declared IMMUTABLE, as PostgreSQL's docs advise.
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("CREATE OR REPLACE FUNCTION giaitrinh_unaccent(text) RETURNS text "
                   "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
                   "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$")
        # The document's words kept beside it (a stored generated column): the index's matches
        # are checked against them, not by parsing every matching document again.
        op.execute("ALTER TABLE search_entries ADD COLUMN document_tsv tsvector GENERATED ALWAYS AS "
                   "(to_tsvector('simple', giaitrinh_unaccent(document))) STORED")
        op.execute("CREATE INDEX ix_search_entries_fulltext ON search_entries USING gin (document_tsv)")
    elif op.get_bind().dialect.name == "sqlite":
        # The folded text (no diacritics, đ as d: unicode61 alone keeps đ) under the rowid of
        # its search_entries row; the application writes both in one transaction.
        op.execute("CREATE VIRTUAL TABLE search_entries_fts USING fts5("
                   "document, tokenize = 'unicode61 remove_diacritics 2')")
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(200), nullable=True),
        sa.Column("location", sa.String(500), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_entries_fulltext")
        op.execute("ALTER TABLE search_entries DROP COLUMN document_tsv")
        op.execute("DROP FUNCTION IF EXISTS giaitrinh_unaccent(text)")
        # The unaccent extension stays: an extension belongs to the database, not to intake's tables.
    elif op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_entries_fts")
    op.drop_index("ix_search_entries_field_submitted", table_name="search_entries")
    op.drop_index("ix_search_entries_submitted_at", table_name="search_entries")
    op.drop_index("ix_search_entries_locality_submitted", table_name="search_entries")
    op.drop_table("search_entries")
