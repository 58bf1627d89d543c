"""routing: the files attached to each case's request, as request.submitted lists them (never their content)

Revision ID: 0013_request_files
Revises: 0012_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_request_files"
down_revision = "0012_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No backfill: request.submitted listed no files before this revision.
    op.create_table(
        "case_request_files",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
    )
    op.create_index("ix_case_request_files_case_id", "case_request_files", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_request_files_case_id", table_name="case_request_files")
    op.drop_table("case_request_files")
