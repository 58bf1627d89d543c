"""routing: each explanation's file keeps the digest of the key that opens it to the requester

Revision ID: 0017_answer_file_keys
Revises: 0016_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_answer_file_keys"
down_revision = "0016_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No backfill: a file kept before has no key, so it opens to none (staff and, when
    # published, the public still read it as before).
    with op.batch_alter_table("answer_files") as batch:
        batch.add_column(sa.Column("access_key_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answer_files") as batch:
        batch.drop_column("access_key_sha256")
