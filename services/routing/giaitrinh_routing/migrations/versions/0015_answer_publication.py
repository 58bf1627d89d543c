"""routing: whether each case's requester agreed that the explanation (and its files) be published

Revision ID: 0015_answer_publication
Revises: 0014_answer_files
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_answer_publication"
down_revision = "0014_answer_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No backfill: a case registered before has no row, and its answer's files stay unpublished.
    op.create_table(
        "case_publication",
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("consent_to_publish", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_table("case_publication")
