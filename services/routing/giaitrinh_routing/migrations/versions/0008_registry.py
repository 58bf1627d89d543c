"""routing: whether the platform serves a registered locality (the registry is the one source)

Revision ID: 0008_registry
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_registry"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every locality registered so far was seeded to be served, so existing rows start served.
    with op.batch_alter_table("localities") as batch:
        batch.add_column(sa.Column("served", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("localities") as batch:
        batch.drop_column("served")
