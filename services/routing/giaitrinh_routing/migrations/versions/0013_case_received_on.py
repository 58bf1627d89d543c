"""routing: each case keeps the day its request was received (ngày tiếp nhận), the day its time limits count from

An official may record a request received directly, by hotline, at a voter meeting or by mail
days after receiving it; the law counts from the day of receipt. No backfill: the cases
registered before this revision were timed from the day they were submitted, which is what
NULL reads as (the day the case was registered).

Revision ID: 0013_case_received_on
Revises: 0012_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_case_received_on"
down_revision = "0012_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("received_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("received_on")
