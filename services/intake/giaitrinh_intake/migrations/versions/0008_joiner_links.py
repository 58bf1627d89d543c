"""intake: each person who joins a request gets a secret link of their own (its hash, the
joined event's id that notify knows their contact by, and what they did with it: leaving the
request, rating the explanation)

Revision ID: 0008_joiner_links
Revises: 0007_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_joiner_links"
down_revision = "0007_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_joiners") as batch:  # SQLite adds columns only in a batch
        batch.add_column(sa.Column("link_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("joined_event_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_request_joiners_link_sha256", "request_joiners", ["link_sha256"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_request_joiners_link_sha256", table_name="request_joiners")
    with op.batch_alter_table("request_joiners") as batch:
        for name in ("rated_at", "rating", "left_at", "joined_event_id", "link_sha256"):
            batch.drop_column(name)
