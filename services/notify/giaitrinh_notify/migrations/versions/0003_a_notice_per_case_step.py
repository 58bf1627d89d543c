"""notify: a notice per step of the case (a step taken again is told again), in English too

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("step", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("title_en", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("body_en", sa.Text(), nullable=False, server_default=""))
        batch.drop_constraint("uq_notifications_request_topic", type_="unique")
        batch.create_unique_constraint("uq_notifications_request_topic_step",
                                       ["request_id", "topic", "step"])


def downgrade() -> None:
    # One message per request and topic again: the first of each is kept.
    op.execute("DELETE FROM notifications WHERE step <> 0 AND EXISTS (SELECT 1 FROM notifications "
               "AS earlier WHERE earlier.request_id = notifications.request_id AND earlier.topic = "
               "notifications.topic AND earlier.id < notifications.id)")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint("uq_notifications_request_topic_step", type_="unique")
        batch.create_unique_constraint("uq_notifications_request_topic", ["request_id", "topic"])
        batch.drop_column("body_en")
        batch.drop_column("title_en")
        batch.drop_column("step")
