"""intake: the key of each file of an explanation, which opens it to the requester on their own page

Revision ID: 0012_answer_file_keys
Revises: 0011_answer_files
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_answer_file_keys"
down_revision = "0011_answer_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the answers kept before: case.answered carried no keys then, and the requester's
    # page links no file of theirs.
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("file_keys", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("file_keys")
