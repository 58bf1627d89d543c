"""notify: the delivery ledger and the channels branches joined

A merge: branches written side by side become one line again.

Revision ID: 0006_merge
Revises: "0004_deliveries", "0005_channels"
"""
revision = "0006_merge"
down_revision = ("0004_deliveries", "0005_channels")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the branches' own revisions made every change; this one only joins them


def downgrade() -> None:
    pass
