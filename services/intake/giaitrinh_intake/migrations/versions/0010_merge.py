"""intake: the joiners' links and the search words / recorded requests branches joined

A merge: branches written side by side become one line again.

Revision ID: 0010_merge
Revises: "0008_joiner_links", "0009_received_by"
"""
revision = "0010_merge"
down_revision = ("0008_joiner_links", "0009_received_by")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the branches' own revisions made every change; this one only joins them


def downgrade() -> None:
    pass
