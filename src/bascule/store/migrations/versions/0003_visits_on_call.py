"""visits and on-call duty

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "visits",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("specialty", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_visits_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_visits_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index("ix_visits_site_at", ["site_id", "at"], unique=False)
    op.create_table(
        "on_call",
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("specialty", sa.String(length=60), nullable=False),
        sa.Column("surgeon_id", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_on_call_site_id_sites")),
        sa.ForeignKeyConstraint(
            ["surgeon_id"], ["surgeons.id"], name=op.f("fk_on_call_surgeon_id_surgeons")
        ),
        sa.PrimaryKeyConstraint("site_id", "day", "specialty", name=op.f("pk_on_call")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("on_call")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_site_at")
        batch_op.drop_index(batch_op.f("ix_visits_patient_id"))
    op.drop_table("visits")
