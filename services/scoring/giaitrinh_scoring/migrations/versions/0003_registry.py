"""scoring: its copy of routing's registry of localities (served or not, their units and the
fields each handles), fed by locality.changed — what units and localities are scored

Revision ID: 0003_registry
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_registry"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "localities",
        sa.Column("code", sa.String(10), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False),
        sa.Column("served", sa.Boolean(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("localities")
