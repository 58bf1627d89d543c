"""routing: commitments tracked to completion — evidence, reminders, overdue flags, watch date

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("commitments") as batch:
        batch.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("evidence", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("reminded", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("flagged_overdue", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("watch_from", sa.Date(), nullable=True))
    op.create_index("ix_commitments_watch_from", "commitments", ["watch_from"])


def downgrade() -> None:
    op.drop_index("ix_commitments_watch_from", table_name="commitments")
    with op.batch_alter_table("commitments") as batch:
        for name in ("watch_from", "flagged_overdue", "reminded", "evidence", "completed_at"):
            batch.drop_column(name)
