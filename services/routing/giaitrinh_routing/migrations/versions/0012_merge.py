"""routing: the staff contacts, the requesters' contacts and the inbox's channel branches joined

A merge: branches written side by side become one line again.

Revision ID: 0012_merge
Revises: "0010_account_contact", "0010_case_requesters", "0011_inbox_covering"
"""
revision = "0012_merge"
down_revision = ("0010_account_contact", "0010_case_requesters", "0011_inbox_covering")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the branches' own revisions made every change; this one only joins them


def downgrade() -> None:
    pass
