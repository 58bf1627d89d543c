"""routing: a provincial admin's list of cases, newest first across every locality, walks an
index instead of sorting the province's cases

Revision ID: 0018_cases_newest_province
Revises: 0017_answer_file_keys
"""
from alembic import op

revision = "0018_cases_newest_province"
down_revision = "0017_answer_file_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_newest_province", "cases", ["registered_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_cases_newest_province", table_name="cases")
