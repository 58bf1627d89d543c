"""routing: a staff account's email and mobile phone, where notify reaches the person

Both optional; accounts opened before have neither (the console's inbox still reaches them).

Revision ID: 0010_account_contact
Revises: 0009_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_account_contact"
down_revision = "0009_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("phone")
        batch.drop_column("email")
