"""initial schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "journal_entries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_journal_entries")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journal_entries_entity", ["entity_type", "entity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_journal_entries_site_id"), ["site_id"], unique=False)

    journal_head = op.create_table(
        "journal_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_head")),
    )
    # The head row exists from the start so that concurrent first writers only lock it.
    op.bulk_insert(journal_head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64}])
    op.create_table(
        "patients",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("birth_family_name", sa.String(length=100), nullable=False),
        sa.Column("used_name", sa.String(length=100), nullable=False),
        sa.Column("first_given_name", sa.String(length=100), nullable=False),
        sa.Column("given_names", sa.JSON(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_place_insee", sa.String(length=5), nullable=False),
        sa.Column("nir", sa.String(length=15), nullable=True),
        sa.Column("identity_status", sa.String(length=4), nullable=False),
        sa.Column("blood_group", sa.String(length=3), nullable=True),
        sa.Column("alerts", sa.JSON(), nullable=False),
        sa.Column("emergency_contact_phone", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        # Not unique: a feed may carry one person twice, which identity vigilance resolves.
        batch_op.create_index(batch_op.f("ix_patients_nir"), ["nir"], unique=False)
        batch_op.create_index(
            "ix_patients_name_birth", ["birth_family_name", "birth_date"], unique=False
        )

    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("specialties", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_table(
        "surgeons",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("specialty", sa.String(length=60), nullable=False),
        sa.Column("max_daily_minutes", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surgeons")),
    )
    with op.batch_alter_table("surgeons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surgeons_specialty"), ["specialty"], unique=False)

    op.create_table(
        "allergies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("substance", sa.String(length=120), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("reaction", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_allergies_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allergies")),
    )
    with op.batch_alter_table("allergies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allergies_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "medications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("dose", sa.String(length=60), nullable=False),
        sa.Column("route", sa.String(length=40), nullable=False),
        sa.Column("frequency", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_medications_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medications")),
    )
    with op.batch_alter_table("medications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_medications_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "patient_local_ids",
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("local_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_local_ids_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_patient_local_ids_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "local_id", name=op.f("pk_patient_local_ids")),
    )
    with op.batch_alter_table("patient_local_ids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_local_ids_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "surgeon_sites",
        sa.Column("surgeon_id", sa.String(length=60), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_surgeon_sites_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["surgeon_id"], ["surgeons.id"], name=op.f("fk_surgeon_sites_surgeon_id_surgeons")
        ),
        sa.PrimaryKeyConstraint("surgeon_id", "site_id", name=op.f("pk_surgeon_sites")),
    )
    op.create_table(
        "theatres",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("opening_minutes", sa.JSON(), nullable=False),
        sa.Column("specialties", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_theatres_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theatres")),
    )
    with op.batch_alter_table("theatres", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_theatres_site_id"), ["site_id"], unique=False)

    op.create_table(
        "wards",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("specialty", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_wards_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wards")),
    )
    with op.batch_alter_table("wards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wards_site_id"), ["site_id"], unique=False)

    op.create_table(
        "rooms",
        sa.Column("ward_id", sa.String(length=60), nullable=False),
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("gender_policy", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["ward_id"], ["wards.id"], name=op.f("fk_rooms_ward_id_wards")),
        sa.PrimaryKeyConstraint("ward_id", "id", name=op.f("pk_rooms")),
    )
    op.create_table(
        "stays",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("ward_id", sa.String(length=60), nullable=False),
        sa.Column("room_id", sa.String(length=60), nullable=False),
        sa.Column("bed", sa.String(length=20), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_discharge", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discharged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_stays_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_stays_site_id_sites")),
        sa.ForeignKeyConstraint(["ward_id"], ["wards.id"], name=op.f("fk_stays_ward_id_wards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stays")),
    )
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stays_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stays_site_id"), ["site_id"], unique=False)

    op.create_table(
        "surgical_cases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("specialty", sa.String(length=60), nullable=False),
        sa.Column("procedure", sa.String(length=200), nullable=False),
        sa.Column("ccam_code", sa.String(length=13), nullable=True),
        sa.Column("surgeon_id", sa.String(length=60), nullable=True),
        sa.Column("expected_minutes", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=3), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("release_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("booked_day", sa.Date(), nullable=True),
        sa.Column("booked_theatre_id", sa.String(length=60), nullable=True),
        sa.Column("booked_start_minute", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("transferable", sa.Boolean(), nullable=False),
        sa.Column("not_transferable_reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["booked_theatre_id"],
            ["theatres.id"],
            name=op.f("fk_surgical_cases_booked_theatre_id_theatres"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_surgical_cases_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_surgical_cases_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["surgeon_id"], ["surgeons.id"], name=op.f("fk_surgical_cases_surgeon_id_surgeons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surgical_cases")),
    )
    with op.batch_alter_table("surgical_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_surgical_cases_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index("ix_surgical_cases_site_day", ["site_id", "booked_day"], unique=False)

    op.create_table(
        "beds",
        sa.Column("ward_id", sa.String(length=60), nullable=False),
        sa.Column("room_id", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_id", "room_id"],
            ["rooms.ward_id", "rooms.id"],
            name=op.f("fk_beds_ward_id_rooms"),
        ),
        sa.PrimaryKeyConstraint("ward_id", "room_id", "label", name=op.f("pk_beds")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("beds")
    with op.batch_alter_table("surgical_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_surgical_cases_site_day")
        batch_op.drop_index(batch_op.f("ix_surgical_cases_patient_id"))

    op.drop_table("surgical_cases")
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stays_site_id"))
        batch_op.drop_index(batch_op.f("ix_stays_patient_id"))

    op.drop_table("stays")
    op.drop_table("rooms")
    with op.batch_alter_table("wards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wards_site_id"))

    op.drop_table("wards")
    with op.batch_alter_table("theatres", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_theatres_site_id"))

    op.drop_table("theatres")
    op.drop_table("surgeon_sites")
    with op.batch_alter_table("patient_local_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_local_ids_patient_id"))

    op.drop_table("patient_local_ids")
    with op.batch_alter_table("medications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medications_patient_id"))

    op.drop_table("medications")
    with op.batch_alter_table("allergies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allergies_patient_id"))

    op.drop_table("allergies")
    with op.batch_alter_table("surgeons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surgeons_specialty"))

    op.drop_table("surgeons")
    op.drop_table("sites")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_name_birth")
        batch_op.drop_index(batch_op.f("ix_patients_nir"))

    op.drop_table("patients")
    op.drop_table("journal_head")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entries_site_id"))
        batch_op.drop_index("ix_journal_entries_entity")

    op.drop_table("journal_entries")
