"""intake: the registry's copy, the submission and the search branches joined

A merge: branches written side by side become one line again.

Revision ID: 0007_merge
Revises: "0004_registry", "0005_submission", "0006_search_and_idempotency"
"""
revision = "0007_merge"
down_revision = ("0004_registry", "0005_submission", "0006_search_and_idempotency")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the branches' own revisions made every change; this one only joins them


def downgrade() -> None:
    pass
