"""routing: the requester's kind and the contact they allowed for notices, for those handling the case

Revision ID: 0010_case_requesters
Revises: 0009_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_case_requesters"
down_revision = "0009_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No backfill: the cases registered before this revision did not keep their events' contact.
    op.create_table(
        "case_requesters",
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("requester_type", sa.String(20), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, server_default=""),
        sa.Column("phone", sa.String(30), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("case_requesters")
