"""intake: the submission form's details (decision concerned, location, ID number, consent to
publish, the hash of the requester's secret link and what was done with it), attachments kept
in the database, and the people who joined a request

Revision ID: 0005_submission
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_submission"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "submission_details",
        sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), primary_key=True),
        sa.Column("decision_concerned", sa.String(2000), nullable=False, server_default=""),
        sa.Column("location_text", sa.String(500), nullable=False, server_default=""),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("id_number", sa.String(12), nullable=False, server_default=""),
        sa.Column("consent_to_publish", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("link_sha256", sa.String(64), nullable=True, unique=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "request_attachments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("request_id", "position", name="uq_request_attachments_position"),
    )
    op.create_index("ix_request_attachments_request_id", "request_attachments", ["request_id"])
    op.create_table(
        "request_joiners",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("email", sa.String(254), nullable=False, server_default=""),
        sa.Column("phone", sa.String(30), nullable=False, server_default=""),
        sa.Column("wants_notifications", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_request_joiners_request_id", "request_joiners", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_request_joiners_request_id", table_name="request_joiners")
    op.drop_table("request_joiners")
    op.drop_index("ix_request_attachments_request_id", table_name="request_attachments")
    op.drop_table("request_attachments")
    op.drop_table("submission_details")
