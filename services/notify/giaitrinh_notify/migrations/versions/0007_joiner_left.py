"""notify: a joiner who left the request (request.join_withdrawn) is forgotten

``requester_contacts.left_at``: set when the joiner left; their email, phone and link are
cleared then. A withdrawal read before its request.joined leaves a row with only this, so the
late joined finds its row taken and brings no contact back.

Revision ID: 0007_joiner_left
Revises: 0006_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_joiner_left"
down_revision = "0006_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requester_contacts") as batch:
        batch.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requester_contacts") as batch:
        batch.drop_column("left_at")
