"""intake: the files attached to each explanation, as the public may know them (id, type, size)

Revision ID: 0011_answer_files
Revises: 0010_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_answer_files"
down_revision = "0010_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the answers kept before: case.answered listed no files then.
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("files", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("files")
