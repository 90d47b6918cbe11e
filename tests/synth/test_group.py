"""The synthetic group as written to the journal: shape, realism and hard constraints."""

import itertools
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bascule.domain.nir import validate_nir
from bascule.domain.patients import IdentityStatus, Sex
from bascule.domain.priority import PriorityClass
from bascule.errors import BasculeError
from bascule.store import journal
from bascule.store.queries import site_summaries
from bascule.store.tables import OnCallRow, VisitRow
from bascule.synth.group import first_monday, synthesise
from bascule.synth.holidays import is_public_holiday
from bascule.synth.sites_data import DAY_STARTS_AT
from tests.synth.conftest import (
    NOW,
    PATIENTS,
    Group,
    fresh_database,
    payload_digests,
    payloads,
)

SITE_IDS = {"rennes", "saint-nazaire", "quimper", "nantes", "angers"}


def test_five_sites_at_their_cities(group: Group) -> None:
    assert set(group.sites) == SITE_IDS
    nantes = group.sites["nantes"]
    assert (nantes["city"], round(nantes["latitude"], 1), round(nantes["longitude"], 1)) == (
        "Nantes",
        47.2,
        -1.6,
    )
    assert "cardiac" in nantes["specialties"]
    assert "cardiac" not in group.sites["quimper"]["specialties"]


def test_report_matches_the_journal(group: Group) -> None:
    report = group.report
    assert (report.sites, report.theatres, report.wards, report.surgeons) == (
        len(group.sites),
        len(group.theatres),
        len(group.wards),
        len(group.surgeons),
    )
    assert (report.patients, report.stays, report.cases) == (
        PATIENTS,
        len(group.stays),
        len(group.cases),
    )
    beds = sum(len(room["beds"]) for ward in group.wards.values() for room in ward["rooms"])
    assert report.beds == beds
    with group.db.reading() as session:
        assert journal.count(session) == report.journal_entries
    assert all(
        5 <= count <= 14
        for count in Counter(t["site_id"] for t in group.theatres.values()).values()
    )


def test_journal_verifies(group: Group) -> None:
    with group.db.reading() as session:
        report = journal.verify(session)
    assert report.intact, report.problems
    assert report.entries == group.report.journal_entries


def test_progress_reports_each_stage_to_its_end(group: Group) -> None:
    last = {stage: (done, total) for stage, done, total in group.progress}
    assert list(last) == ["estate", "patients", "stays", "cases", "visits", "on-call"]
    assert all(done == total for done, total in last.values())
    assert last["patients"] == (PATIENTS, PATIENTS)


def test_occupancy_is_about_85_percent_at_every_site(group: Group) -> None:
    with group.db.reading() as session:
        summaries = site_summaries(session)
    assert {s.id for s in summaries} == SITE_IDS
    for summary in summaries:
        assert 0.80 <= summary.occupancy <= 0.90, (summary.id, summary.occupancy)
    beds = {s.id: s.beds for s in summaries}
    assert beds["nantes"] > beds["angers"] > beds["quimper"]
    assert all(80 <= count <= 400 for count in beds.values())


def test_stays_respect_beds_and_room_gender_policy(group: Group) -> None:
    policies = {
        (ward["id"], room["id"]): room["gender_policy"]
        for ward in group.wards.values()
        for room in ward["rooms"]
    }
    beds = {stay.ward_id + "/" + stay.room_id + "/" + stay.bed for stay in group.stays}
    assert len(beds) == len(group.stays), "a bed holds one patient"
    assert len({stay.patient_id for stay in group.stays}) == len(group.stays)
    sexes_by_room: dict[tuple[str, str], set[Sex]] = defaultdict(set)
    for stay in group.stays:
        assert stay.admitted_at < NOW < (stay.expected_discharge or NOW)
        assert NOW - stay.admitted_at < timedelta(days=30)
        assert group.wards[stay.ward_id]["site_id"] == stay.site_id
        sexes_by_room[(stay.ward_id, stay.room_id)].add(
            group.patients[stay.patient_id].identity.sex
        )
    for room, sexes in sexes_by_room.items():
        if policies[room] == "same-gender":
            assert len(sexes) == 1, room


def test_patients_with_stays_or_cases_are_known_at_that_site(group: Group) -> None:
    places = [(s.patient_id, s.site_id) for s in group.stays]
    places += [(c.patient_id, c.site_id) for c in group.cases]
    for patient_id, site_id in places:
        assert group.patients[patient_id].local_id_at(site_id), (patient_id, site_id)


def test_cases_fit_their_theatre_day(group: Group) -> None:
    by_theatre_day = defaultdict(list)
    for case in group.cases:
        assert case.booking is not None
        theatre = group.theatres[case.booking.theatre_id]
        assert theatre["site_id"] == case.site_id
        assert case.specialty in theatre["specialties"]
        opening = theatre["opening_minutes"][case.booking.day.weekday()]
        assert opening > 0, case.id
        assert case.booking.start_minute >= DAY_STARTS_AT
        assert case.booking.start_minute + case.expected_minutes <= DAY_STARTS_AT + opening
        by_theatre_day[(case.booking.theatre_id, case.booking.day)].append(case)
    for cases in by_theatre_day.values():
        slots = sorted((c.booking.start_minute, c.expected_minutes) for c in cases if c.booking)
        for (start, minutes), (next_start, _) in itertools.pairwise(slots):
            assert start + minutes <= next_start


def test_surgeons_keep_their_daily_maximum_and_one_place_at_a_time(group: Group) -> None:
    days: dict[tuple[str, date], list[tuple[int, int, str]]] = defaultdict(list)
    for case in group.cases:
        assert case.booking is not None
        assert case.surgeon_id is not None
        surgeon = group.surgeons[case.surgeon_id]
        assert surgeon["specialty"] == case.specialty
        assert case.site_id in surgeon["site_ids"]
        start = case.booking.start_minute
        days[(case.surgeon_id, case.booking.day)].append(
            (start, start + case.expected_minutes, case.site_id)
        )
    for (surgeon_id, _), slots in days.items():
        assert (
            sum(end - start for start, end, _ in slots)
            <= group.surgeons[surgeon_id]["max_daily_minutes"]
        )
        assert len({site for _, _, site in slots}) == 1
        slots.sort()
        assert all(
            end <= next_start for (_, end, _), (next_start, _, _) in itertools.pairwise(slots)
        )


def test_four_weeks_of_cases_from_the_first_monday(group: Group) -> None:
    start = first_monday(group.today)
    days = {case.booking.day for case in group.cases if case.booking}
    assert min(days) >= start
    assert max(days) < start + timedelta(days=28)
    assert not any(is_public_holiday(day) or day.weekday() == 6 for day in days)
    assert start + timedelta(days=1) in days  # Whit Monday closed, Tuesday runs
    assert any(day.weekday() == 5 for day in days)


def test_listing_release_and_booking_are_consistent(group: Group) -> None:
    for case in group.cases:
        assert case.booking is not None
        assert case.listed_on <= case.release_on <= case.booking.day
        due = case.due_on
        assert due is None or case.booking.day <= due, case.id
        if not case.transferable:
            assert case.not_transferable_reason


def test_priority_and_specialty_mix(group: Group) -> None:
    shares = Counter(case.priority for case in group.cases)
    total = len(group.cases)
    assert 0.005 < shares[PriorityClass.P1A] / total < 0.04
    assert 0.35 < shares[PriorityClass.P3] / total < 0.55
    specialties = Counter(case.specialty for case in group.cases)
    assert specialties["ophthalmology"] > specialties["cardiac"]
    cataracts = [c for c in group.cases if c.ccam_code == "BFGA004"]
    assert cataracts
    assert 10 <= sorted(c.expected_minutes for c in cataracts)[len(cataracts) // 2] <= 30
    assert 0.01 < sum(not case.transferable for case in group.cases) / total < 0.06


def test_identities_are_valid_and_varied(group: Group) -> None:
    people = [patient.identity for patient in group.patients.values()]
    nirs = [identity.nir for identity in people if identity.nir is not None]
    assert all(validate_nir(nir) == nir for nir in nirs)
    assert len(set(nirs)) == len(nirs)
    assert 0.08 < 1 - len(nirs) / len(people) < 0.17
    assert all(i.nir for i in people if i.status is IdentityStatus.QUALIFIED)
    statuses = Counter(identity.status for identity in people)
    assert statuses[IdentityStatus.PROVISIONAL] < statuses[IdentityStatus.VALIDATED]
    names = " ".join(
        f"{i.birth_family_name} {i.used_name} {' '.join(i.given_names)}" for i in people
    )
    assert set("éèçëïô-'") <= set(names)
    assert any(" " in i.birth_family_name for i in people)  # Le Gall, Ben Saïd, de la ...
    women = [i for i in people if i.sex is Sex.FEMALE]
    assert sum(bool(i.used_name) for i in women) / len(women) > 0.25
    assert any(i.birth_place_insee.startswith("99") for i in people)


def test_every_patient_has_a_site_and_plausible_essentials(group: Group) -> None:
    patients = list(group.patients.values())
    assert all(p.local_ids for p in patients)
    assert any(len(p.local_ids) > 1 for p in patients)
    allergic = sum(bool(p.essentials.allergies) for p in patients) / len(patients)
    assert 0.17 < allergic < 0.28
    assert 0.05 < sum(p.essentials.blood_group is None for p in patients) / len(patients) < 0.25


def test_refuses_a_database_that_already_holds_a_group(group: Group) -> None:
    with pytest.raises(BasculeError, match=r"already holds a group \(5 sites\)"):
        synthesise(group.db, patients=10)


def test_same_seed_same_journal_other_seed_other_journal(tmp_path: Path) -> None:
    runs = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        db = fresh_database(tmp_path / f"{name}.sqlite3")
        synthesise(db, patients=300, seed=seed)
        runs[name] = payload_digests(db)
        with db.reading() as session:
            runs[name + "-head"] = [journal.head(session)[1]]
        db.dispose()
    assert runs["a"] == runs["b"]
    assert runs["a-head"] == runs["b-head"]  # same clock: even the hash chain matches
    assert runs["a"] != runs["c"]


def test_cases_start_on_the_day_asked(tmp_path: Path) -> None:
    db = fresh_database(tmp_path / "g.sqlite3")
    report = synthesise(db, patients=300, start=date(2025, 9, 1))
    days = {case["booking"]["day"] for kind, case in payloads(db) if kind == "case.booked"}
    assert len(days) > 0
    assert report.cases > 0
    assert min(days) == "2025-09-01"
    assert max(days) < "2025-09-29"


def test_an_empty_patient_index_gives_an_empty_estate(tmp_path: Path) -> None:
    report = synthesise(fresh_database(tmp_path / "g.sqlite3"), patients=0)
    assert (report.patients, report.stays, report.cases) == (0, 0, 0)
    assert report.sites == 5
    assert report.beds > 0


def test_refuses_a_negative_patient_count(tmp_path: Path) -> None:
    with pytest.raises(BasculeError, match="-1 patients"):
        synthesise(fresh_database(tmp_path / "g.sqlite3"), patients=-1)


def test_visits_are_in_the_last_30_days_and_on_call_covers_every_day(group: Group) -> None:
    with group.db.reading() as session:
        first, last = session.execute(select(func.min(VisitRow.at), func.max(VisitRow.at))).one()
        visits_by_site = dict(
            session.execute(select(VisitRow.site_id, func.count()).group_by(VisitRow.site_id)).all()
        )
        days_by_site = dict(
            session.execute(
                select(OnCallRow.site_id, func.count(func.distinct(OnCallRow.day))).group_by(
                    OnCallRow.site_id
                )
            ).all()
        )
    today = group.db.clock.now().date()
    assert (today - first.date()).days <= 30
    assert last.date() < today
    assert set(visits_by_site) == {"rennes", "saint-nazaire", "quimper", "nantes", "angers"}
    assert len(set(days_by_site.values())) == 1  # every site has someone on call every day
