"""The pure generator functions, property-tested over seeds and dates."""

import random
import sys
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bascule.domain.nir import validate_nir
from bascule.domain.patients import IdentityStatus, Patient, Sex
from bascule.domain.priority import PriorityClass
from bascule.synth import feed
from bascule.synth.cases import listing_dates
from bascule.synth.estate import build_estate
from bascule.synth.holidays import easter_sunday, public_holidays
from bascule.synth.identity import CORSICA_SPLIT_YEAR, birthplace_picker, draw_identity
from bascule.synth.people import NirLedger, chunk_sizes, local_id, patient_chunk
from bascule.synth.pools import PatientPools
from bascule.synth.sites_data import SITE_SPECS, SiteSpec
from bascule.synth.weighted import Picker
from bascule.synth.wordlists import birthplaces, family_names, given_names

seeds = st.integers(min_value=0, max_value=2**32)
todays = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@settings(max_examples=60, deadline=None)
@given(seed=seeds, today=todays, site=st.sampled_from(SITE_SPECS))
def test_any_seed_gives_nirs_that_agree_with_the_identity(
    seed: int, today: date, site: SiteSpec
) -> None:
    rng = random.Random(seed)
    places = birthplace_picker(site)
    for _ in range(25):
        identity = draw_identity(rng, today, places)
        assert identity.birth_date <= today
        assert (today - identity.birth_date).days < 102 * 366
        if identity.status is IdentityStatus.QUALIFIED:
            assert identity.nir is not None
        nir = identity.nir
        if nir is None:
            continue
        assert validate_nir(nir) == nir
        assert nir[0] == ("1" if identity.sex is Sex.MALE else "2")
        assert nir[1:5] == identity.birth_date.strftime("%y%m")
        place = identity.birth_place_insee
        corsican_before_split = place[:2] in ("2A", "2B") and (
            identity.birth_date.year < CORSICA_SPLIT_YEAR
        )
        assert nir[5:10] == ("20" + place[2:] if corsican_before_split else place)


@settings(max_examples=40, deadline=None)
@given(
    priority=st.sampled_from(list(PriorityClass)),
    today=todays,
    ahead=st.integers(min_value=0, max_value=40),
    seed=seeds,
)
def test_listing_dates_keep_every_case_on_time(
    priority: PriorityClass, today: date, ahead: int, seed: int
) -> None:
    day = today + timedelta(days=ahead)
    listed, release = listing_dates(random.Random(seed), priority, day, today)
    assert listed <= release <= day
    due = priority.due_date(listed)
    assert due is None or day <= due
    if priority in (PriorityClass.P3, PriorityClass.P4):
        assert listed <= today


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_any_seed_builds_the_estate_the_specs_describe(seed: int) -> None:
    estate = build_estate(seed)
    for spec in SITE_SPECS:
        wards = [w for w in estate.wards if w.site_id == spec.id]
        assert [(w.specialty, w.bed_count) for w in wards] == list(spec.ward_beds)
        assert len([t for t in estate.theatres if t.site_id == spec.id]) == len(spec.theatres)
        for specialty in spec.specialties:
            team = [
                s for s in estate.surgeons if s.specialty == specialty and spec.id in s.site_ids
            ]
            covered = {
                day for s in team for day, site in estate.rota[s.id].items() if site == spec.id
            }
            assert set(range(5)) <= covered, (spec.id, specialty)
    for surgeon in estate.surgeons:
        assert 420 <= surgeon.max_daily_minutes <= 600
        assert set(estate.rota[surgeon.id].values()) <= set(surgeon.site_ids)
        assert estate.rota[surgeon.id][min(estate.rota[surgeon.id])] in surgeon.site_ids


def test_ledger_gives_the_second_holder_of_a_nir_another_valid_one() -> None:
    chunk = patient_chunk(3, 0, 50, date(2025, 6, 4))
    first = next(patient for _, patient in chunk if patient.identity.nir is not None)
    ledger = NirLedger()
    twin = Patient("P-twin", first.identity, (("rennes", "1"),))
    assert ledger.reissue(first) is first
    nir, other_nir = first.identity.nir, ledger.reissue(twin).identity.nir
    assert nir is not None
    assert other_nir is not None
    assert other_nir != nir
    assert validate_nir(other_nir) == other_nir
    assert other_nir[:10] == nir[:10]


def test_local_ids_are_unique_per_site() -> None:
    for spec in SITE_SPECS:
        ids = [local_id(spec, index) for index in range(1, 20_001)]
        assert len(set(ids)) == len(ids)
        assert all(i.startswith(spec.ipp_prefix) and len(i) == 9 for i in ids)


def test_pools_never_hand_out_a_patient_twice_without_reuse() -> None:
    pools = PatientPools()
    for index in range(100):
        pools.add(index, Sex.FEMALE if index % 2 else Sex.MALE, index % 5, ["quimper"])
    pools.shuffle(random.Random(1))
    rng = random.Random(2)
    drawn = []
    while (
        found := pools.draw(rng, "quimper", Sex.FEMALE, (1, 1, 1, 1, 1), reuse=False)
    ) is not None:
        drawn.append(found)
    assert sorted(drawn) == list(range(1, 100, 2))
    assert pools.draw(rng, "quimper", Sex.FEMALE, (1, 0, 0, 0, 0), reuse=True) is not None
    assert pools.draw(rng, "nantes", Sex.FEMALE, (1, 1, 1, 1, 1), reuse=True) is None


def test_picker_follows_weights_and_skips_zero_weights() -> None:
    picker = Picker(["a", "b", "c"], [1.0, 0.0, 3.0])
    counts = Counter(picker.pick(random.Random(seed)) for seed in range(4000))
    assert counts["b"] == 0
    assert 2.5 < counts["c"] / counts["a"] < 3.5
    with pytest.raises(ValueError, match="positive"):
        Picker(["a"], [0.0])


def test_word_lists_are_clean() -> None:
    families = family_names().items
    assert len(families) >= 300
    assert len(set(families)) == len(families)
    for sex in ("F", "M"):
        names = given_names(sex, 1970).items
        assert len(names) >= 180
        assert len(set(names)) == len(names)
    assert sum(len(p.items) for p in birthplaces().values()) >= 100
    old, young = given_names("F", 1930), given_names("F", 2015)
    rng = random.Random(5)
    assert Counter(old.pick(rng) for _ in range(500))["Jade"] < 5
    assert Counter(young.pick(rng) for _ in range(500))["Jade"] > 10


def test_french_public_holidays() -> None:
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2026) == date(2026, 4, 5)
    holidays = public_holidays(2025)
    assert len(holidays) == 11
    assert {date(2025, 4, 21), date(2025, 5, 29), date(2025, 6, 9), date(2025, 7, 14)} <= holidays


def test_chunks_cover_the_index() -> None:
    assert chunk_sizes(0) == []
    assert chunk_sizes(25_000) == [10_000, 10_000, 5_000]


def _payloads(worker: bool, count: int) -> list[dict[str, object]]:
    return [
        change.payload
        for chunk in feed.patient_change_chunks(5, count, date(2025, 6, 4), worker=worker)
        for change in chunk
    ]


def test_the_worker_process_makes_the_same_changes_as_in_process() -> None:
    in_process = _payloads(False, 12_000)
    assert _payloads(True, 12_000) == in_process
    assert [p["id"] for p in in_process[9_999:10_001]] == ["P0010000", "P0010001"]


def test_a_failing_worker_falls_back_to_the_same_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _payloads(False, 1_500)
    monkeypatch.setattr(sys, "executable", "/bin/false")
    assert _payloads(True, 1_500) == expected
