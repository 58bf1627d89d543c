"""intake: the words of the searched documents (PostgreSQL), so that the word still being typed
is searched as the whole words it begins, and a word no document holds finds nothing at once

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


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE search_words")
