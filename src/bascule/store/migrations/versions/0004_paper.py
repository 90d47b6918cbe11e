"""paper packets, form registry and downtime identifier ranges

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "paper_packets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("data_seq", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_paper_packets_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_packets")),
    )
    with op.batch_alter_table("paper_packets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_packets_site_id"), ["site_id"], unique=False)
    op.create_table(
        "paper_forms",
        sa.Column("form_id", sa.String(length=12), nullable=False),
        sa.Column("packet_id", sa.String(length=40), nullable=False),
        sa.Column("form_type", sa.String(length=3), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=True),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("ward_id", sa.String(length=40), nullable=True),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("returnable", sa.Boolean(), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_in", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["packet_id"],
            ["paper_packets.id"],
            name=op.f("fk_paper_forms_packet_id_paper_packets"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_paper_forms_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("form_id", name=op.f("pk_paper_forms")),
    )
    with op.batch_alter_table("paper_forms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_forms_packet_id"), ["packet_id"], unique=False)
        batch_op.create_index(
            "ix_paper_forms_site_returnable", ["site_id", "returnable"], unique=False
        )
    op.create_table(
        "downtime_ranges",
        sa.Column("first_serial", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reserved_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_downtime_ranges_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("first_serial", name=op.f("pk_downtime_ranges")),
    )
    with op.batch_alter_table("downtime_ranges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_downtime_ranges_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("downtime_ranges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_downtime_ranges_site_id"))
    op.drop_table("downtime_ranges")
    with op.batch_alter_table("paper_forms", schema=None) as batch_op:
        batch_op.drop_index("ix_paper_forms_site_returnable")
        batch_op.drop_index(batch_op.f("ix_paper_forms_packet_id"))
    op.drop_table("paper_forms")
    with op.batch_alter_table("paper_packets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_packets_site_id"))
    op.drop_table("paper_packets")
