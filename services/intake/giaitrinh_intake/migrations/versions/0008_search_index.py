"""intake: the words of the searched documents (PostgreSQL), so that the word still being typed
is searched as the whole words it begins, and a word no document holds finds nothing at once;
the full-text index without its pending list

Revision ID: 0008_search_index
Revises: 0007_merge
"""
from alembic import op

revision = "0008_search_index"
down_revision = "0007_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite's FTS5 index finds the words a prefix begins by itself, cheaply
    # Byte order ("C"): the words a prefix begins are one range of the primary key's index.
    op.execute('CREATE TABLE search_words (word text COLLATE "C" PRIMARY KEY)')
    op.execute("INSERT INTO search_words (word) SELECT DISTINCT unnest(tsvector_to_array(document_tsv)) "
               "FROM search_entries")
    # A GIN index's pending list (fastupdate) makes writes cheap and every search read the whole
    # list (up to gin_pending_list_limit, 4 MB) until a vacuum empties it. Answers are written
    # once per explanation and searched all day: each write goes into the index itself.
    op.execute("ALTER INDEX ix_search_entries_fulltext SET (fastupdate = off)")
    op.execute("SELECT gin_clean_pending_list('ix_search_entries_fulltext'::regclass)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_search_entries_fulltext RESET (fastupdate)")
        op.execute("DROP TABLE search_words")
