"""recovery: paper forms re-entered, identity matches, conflicts, closure waivers

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "closure_waivers",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("outstanding", sa.JSON(), nullable=False),
        sa.Column("waived_by", sa.String(length=120), nullable=False),
        sa.Column("waived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_closure_waivers")),
    )
    op.create_table(
        "identity_matches",
        sa.Column("form_id", sa.String(length=12), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("typed", sa.JSON(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("form_id", name=op.f("pk_identity_matches")),
    )
    with op.batch_alter_table("identity_matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_matches_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_matches_status"), ["status"], unique=False)

    op.create_table(
        "recovery_conflicts",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("form_id", sa.String(length=12), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=True),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("paper_value", sa.Text(), nullable=False),
        sa.Column("paper_by", sa.String(length=120), nullable=False),
        sa.Column("paper_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("central_value", sa.Text(), nullable=False),
        sa.Column("central_by", sa.String(length=120), nullable=False),
        sa.Column("central_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_conflicts")),
    )
    with op.batch_alter_table("recovery_conflicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recovery_conflicts_form_id"), ["form_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_recovery_conflicts_status"), ["status"], unique=False)

    op.create_table(
        "recovery_entries",
        sa.Column("form_id", sa.String(length=12), nullable=False),
        sa.Column("pass_number", sa.Integer(), nullable=False),
        sa.Column("clerk", sa.String(length=120), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("form_id", "pass_number", name=op.f("pk_recovery_entries")),
    )
    op.create_table(
        "recovery_forms",
        sa.Column("form_id", sa.String(length=12), nullable=False),
        sa.Column("form_type", sa.String(length=3), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("ward_id", sa.String(length=40), nullable=True),
        sa.Column("patient_id", sa.String(length=40), nullable=True),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("final_values", sa.JSON(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("form_id", name=op.f("pk_recovery_forms")),
    )
    with op.batch_alter_table("recovery_forms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_forms_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("recovery_forms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_forms_site_id"))

    op.drop_table("recovery_forms")
    op.drop_table("recovery_entries")
    with op.batch_alter_table("recovery_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_conflicts_status"))
        batch_op.drop_index(batch_op.f("ix_recovery_conflicts_form_id"))

    op.drop_table("recovery_conflicts")
    with op.batch_alter_table("identity_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_matches_status"))
        batch_op.drop_index(batch_op.f("ix_identity_matches_site_id"))

    op.drop_table("identity_matches")
    op.drop_table("closure_waivers")
