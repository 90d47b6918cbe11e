"""re-planning: accepted plans

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "replans",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("solver", sa.String(length=20), nullable=False),
        sa.Column("kpis", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replans")),
    )
    with op.batch_alter_table("replans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_replans_applied_at"), ["applied_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("replans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replans_applied_at"))
    op.drop_table("replans")
