"""waiting room for the consumer's retries and per-request order; outbox relay lease

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from giaitrinh_common.migrations import (
    create_waiting_room_and_relay_lease_v1,
    drop_waiting_room_and_relay_lease_v1,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_waiting_room_and_relay_lease_v1(op)


def downgrade() -> None:
    drop_waiting_room_and_relay_lease_v1(op)
