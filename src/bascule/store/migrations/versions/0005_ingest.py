"""ingestion: message log, feed sources, merged patients

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", sa.String(length=40), nullable=True))
    op.create_table(
        "ingest_messages",
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("control_id", sa.String(length=80), nullable=False),
        sa.Column("message_type", sa.String(length=20), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=2), nullable=False),
        sa.Column("ack", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source", "control_id", name=op.f("pk_ingest_messages")),
    )
    with op.batch_alter_table("ingest_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ingest_messages_received_at"), ["received_at"], unique=False
        )
    op.create_table(
        "feed_sources",
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("silent_since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("site_id", "source", name=op.f("pk_feed_sources")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("feed_sources")
    with op.batch_alter_table("ingest_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_messages_received_at"))
    op.drop_table("ingest_messages")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("merged_into")
