"""routing: the registry's served flag and the inbox's deadline column joined

A merge: branches written side by side become one line again.

Revision ID: 0009_merge
Revises: 0008_registry, 0008_inbox
"""
revision = "0009_merge"
down_revision = ("0008_registry", "0008_inbox")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the branches' own revisions made every change; this one only joins them


def downgrade() -> None:
    pass
