"""patient contact details: complementary identity traits for identity matching

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("postcode", sa.String(length=10), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("city", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("phone", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("email", sa.String(length=254), server_default="", nullable=False)
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("email")
        batch_op.drop_column("phone")
        batch_op.drop_column("city")
        batch_op.drop_column("postcode")
