"""routing: the files attached to each explanation, kept with the answer that attached them

Revision ID: 0014_answer_files
Revises: 0013_request_files
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_answer_files"
down_revision = "0013_request_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_files",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_answer_files_case_id", "answer_files", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_answer_files_case_id", table_name="answer_files")
    op.drop_table("answer_files")
