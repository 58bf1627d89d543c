"""routing: each case keeps the channel its request came by (kênh tiếp nhận), for the inbox's filter

Cases registered before read "portal", intake's web form and its default channel.

Revision ID: 0010_case_channel
Revises: 0009_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_case_channel"
down_revision = "0009_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("channel", sa.String(30), nullable=False, server_default="portal"))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("channel")
