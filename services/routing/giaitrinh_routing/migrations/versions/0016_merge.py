"""routing: the received day, early withdrawals and the newest-first index joined with the case files

A merge: branches written side by side become one line again.

Revision ID: 0016_merge
Revises: "0015_answer_publication", "0015_cases_newest"
"""
revision = "0016_merge"
down_revision = ("0015_answer_publication", "0015_cases_newest")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the branches' own revisions made every change; this one only joins them


def downgrade() -> None:
    pass
