"""intake: who recorded a request received directly, by hotline, at a voter meeting or by mail
(the official's account id) and the day they received it

Revision ID: 0009_received_by
Revises: 0008_search_index
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_received_by"
down_revision = "0008_search_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:  # SQLite adds columns only in a batch
        batch.add_column(sa.Column("received_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("received_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("received_on")
        batch.drop_column("received_by")
