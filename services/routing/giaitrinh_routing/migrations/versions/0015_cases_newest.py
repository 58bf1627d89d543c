"""routing: the list of cases, newest first, walks an index instead of sorting a locality's cases

Revision ID: 0015_cases_newest
Revises: 0014_early_withdrawals
"""
from alembic import op

revision = "0015_cases_newest"
down_revision = "0014_early_withdrawals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_newest", "cases", ["locality_code", "registered_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_cases_newest", table_name="cases")
