"""Identity matching for recovery: accuracy on outside and synthetic data, and speed.

Run: .venv/bin/python bench/recovery.py [--index 100000] [--typed 2000] [--new 500]
     [--speed-index 1000000] [--speed-typed 10000] [--no-speed]
Writes bench/results/recovery.json. Targets (issue): sure-match precision ≥ 0.999, recall
of sure + queued ≥ 0.99, queue ≤ 5 % of records; 10,000 typed identities against a
1,000,000-patient index in ≤ 60 s. Each accuracy figure is given for the matcher and,
in the same run, for a plain exact-match baseline (normalised family name, given name and
birth date all equal → linked).

(a) fake_1000 (splink_datasets, MIT): 1,000 records in 251 true clusters that nobody on the
    team generated. first_name → given name, surname → birth family name, dob → birth date,
    city → commune of residence, email → e-mail (complementary traits); no sex, birth place
    or NIR. Each record is matched against an index of all the other records. A sure link
    is right when it points into the record's own cluster; a record is found when its sure
    link is right or, when queued, one of the listed candidates is in its cluster. Recall
    counts the records that have at least one other record of their cluster. Pair figures
    count the true pairs (within-cluster) seen as sure or listed candidates, in either
    direction. Two limits are
    measured beside it: the records that every other record of their person vetoes (they
    can only be queued), and a model fitted to the answers without vetoes (the data's own).
(b) Paper errors: a synthetic index (bascule.synth's identity generator), typed copies of
    some of its people with the errors clerks make on paper, and people who are not in it
    (some sharing a family name and birth date with someone who is: siblings, twins).
(c) Speed: typed identities drawn the same way against a large index.
"""

import argparse
import csv
import math
import random
import resource
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from bascule.recovery.matching import (
    DEFAULT_SETTINGS,
    DateLevel,
    Identity,
    MatchResult,
    MatchSettings,
    Outcome,
    PatientIndex,
    compare_birth_dates,
    compare_city,
    compare_contact,
    compare_names,
    identity_from_traits,
    match,
    normalise_name,
    score_pair,
)
from bascule.synth.clinical import draw_phone
from bascule.synth.contact import draw_contact
from bascule.synth.identity import birthplace_picker, draw_identity
from bascule.synth.sites_data import SITE_SPECS
from bascule.synth.wordlists import birthplaces
from common import save

TARGETS = {"precision": 0.999, "recall_sure_or_queued": 0.99, "queue_share": 0.05, "seconds": 60}
LINKAGE = Path(__file__).parents[1] / "tests" / "fixtures" / "linkage"
TODAY = date(2026, 12, 7)
FAKE_TRADE_OFF = (12.0, 8.0)


# --- Baseline --------------------------------------------------------------------------------


class ExactBaseline:
    """Linked when normalised family name, given name and birth date are all equal."""

    def __init__(self, identities: Iterable[Identity]) -> None:
        self._ids: dict[tuple[str, str, date | None], str] = {}
        for identity in identities:
            self._ids.setdefault(self._key(identity), identity.id)

    @staticmethod
    def _key(identity: Identity) -> tuple[str, str, date | None]:
        return (
            normalise_name(identity.birth_family_name),
            normalise_name(identity.first_given_name),
            identity.birth_date,
        )

    def link(self, typed: Identity) -> str | None:
        """The linked index id, or None."""
        return self._ids.get(self._key(typed))


# --- Scoring the outcomes --------------------------------------------------------------------


@dataclass
class Tally:
    """Counts for one method on one data set."""

    records: int = 0
    with_match: int = 0
    sure: int = 0
    sure_right: int = 0
    found: int = 0
    queued: int = 0

    def add(self, sure_right: bool | None, queued: bool, found: bool, has_match: bool) -> None:
        """One typed record: sure_right is None when it was not linked."""
        self.records += 1
        self.with_match += has_match
        if sure_right is not None:
            self.sure += 1
            self.sure_right += sure_right
        self.queued += queued
        self.found += found and has_match

    def figures(self) -> dict[str, Any]:
        """Precision, recall and F1 of sure links; recall of sure + queued; queue share."""
        precision = self.sure_right / self.sure if self.sure else 1.0
        recall = self.sure_right / self.with_match if self.with_match else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "records": self.records,
            "with_a_match": self.with_match,
            "sure": self.sure,
            "sure_wrong": self.sure - self.sure_right,
            "queued": self.queued,
            "precision": round(precision, 4),
            "recall_sure": round(recall, 4),
            "f1_sure": round(f1, 4),
            "recall_sure_or_queued": round(self.found / self.with_match, 4),
            "queue_share": round(self.queued / self.records, 4),
        }


def _judge(result: MatchResult, is_right: Callable[[str], bool]) -> tuple[bool | None, bool, bool]:
    """(sure link right?, queued?, person found?) for one match result."""
    if result.outcome is Outcome.SURE and result.best is not None:
        right = is_right(result.best.id)
        return right, False, right
    if result.outcome is Outcome.POSSIBLE:
        return None, True, any(is_right(c.id) for c in result.candidates)
    return None, False, False


# --- (a) fake_1000 ---------------------------------------------------------------------------


def load_fake_1000(folder: Path = LINKAGE) -> list[tuple[Identity, str]]:
    """The records as identities, each with its true cluster."""
    with (folder / "fake_1000.csv").open(encoding="utf-8") as handle:
        return [
            (
                Identity(
                    id=row["unique_id"],
                    birth_family_name=row["surname"],
                    first_given_name=row["first_name"],
                    birth_date=date.fromisoformat(row["dob"]) if row["dob"] else None,
                    city=row["city"],
                    email=row["email"],
                ),
                row["cluster"],
            )
            for row in csv.DictReader(handle)
        ]


def evaluate_fake_1000(
    records: Sequence[tuple[Identity, str]], settings: MatchSettings = DEFAULT_SETTINGS
) -> dict[str, Any]:
    """Each record against all the others, for the matcher and for the exact baseline."""
    cluster = {identity.id: label for identity, label in records}
    sizes = Counter(cluster.values())
    matcher, baseline = Tally(), Tally()
    true_pairs = {
        frozenset((a.id, b.id))
        for a, label_a in records
        for b, label_b in records
        if a.id < b.id and label_a == label_b
    }
    sure_pairs: set[frozenset[str]] = set()
    seen_pairs: set[frozenset[str]] = set()
    for number, (typed, label) in enumerate(records):
        others = [identity for identity, _ in records[:number] + records[number + 1 :]]
        result = match(PatientIndex(others), typed, settings)
        has_match = sizes[label] > 1
        matcher.add(*_judge(result, lambda found, label=label: cluster[found] == label), has_match)
        if result.outcome is Outcome.SURE and result.best is not None:
            sure_pairs.add(frozenset((typed.id, result.best.id)))
        seen_pairs.update(frozenset((typed.id, c.id)) for c in result.candidates)
        linked = ExactBaseline(others).link(typed)
        right = None if linked is None else cluster[linked] == label
        baseline.add(right, False, bool(right), has_match)
    return {
        "matcher": matcher.figures(),
        "exact_baseline": baseline.figures(),
        "pairs": {
            "true_pairs": len(true_pairs),
            "sure_pairs": len(sure_pairs),
            "sure_pairs_right": len(sure_pairs & true_pairs),
            "true_pairs_seen_sure_or_queued": len(seen_pairs & true_pairs),
        },
    }


def vetoed_everywhere(records: Sequence[tuple[Identity, str]]) -> dict[str, Any]:
    """Records whose every other record of the same person carries a veto against them.

    Those can never be linked surely, only queued (or missed): a floor under the queue that
    no weight or threshold moves without giving up a safety rule. The vetoes met are counted.
    """
    index = PatientIndex(identity for identity, _ in records)
    by_cluster: dict[str, list[Identity]] = {}
    for identity, label in records:
        by_cluster.setdefault(label, []).append(identity)
    floor, vetoes = 0, Counter[str]()
    for typed, label in records:
        mates = [other for other in by_cluster[label] if other.id != typed.id]
        scored = [score_pair(index, typed, mate) for mate in mates]
        if mates and all(candidate.vetoes for candidate in scored):
            floor += 1
            vetoes.update({veto for candidate in scored for veto in candidate.vetoes})
    return {"records": floor, "share": round(floor / len(records), 4), "vetoes": dict(vetoes)}


def _date_band(a: date | None, b: date | None) -> str:
    """Our date level, with 'different' split by how far apart (finer than the matcher)."""
    level = compare_birth_dates(a, b)
    if level is not DateLevel.DIFFERENT or a is None or b is None:
        return level.value
    days = abs(a.toordinal() - b.toordinal())
    return next(f"within {limit} days" for limit in (400, 1900, 4400, 10**6) if days <= limit)


def _levels(a: Identity, b: Identity) -> tuple[str, ...]:
    def names(x: str, y: str) -> str:
        return compare_names(normalise_name(x), normalise_name(y)).value

    return (
        "f" + names(a.first_given_name, b.first_given_name),
        "s" + names(a.birth_family_name, b.birth_family_name),
        "d" + _date_band(a.birth_date, b.birth_date),
        "c" + compare_city(normalise_name(a.city), normalise_name(b.city)).value,
        "e" + compare_contact(a.email.lower(), b.email.lower(), digits=False).value,
    )


def fitted_ceiling(records: Sequence[tuple[Identity, str]], margin: float = 3.0) -> dict[str, Any]:
    """What the data allows at all: a Fellegi-Sunter model fitted to the answers.

    m and u of every level are counted from the true clusters themselves (so this is not a
    matcher anyone could run), there are no vetoes, and a rival of the same person never
    counts. Each record is scored against the 999 others; thresholds are swept and the
    smallest queue reaching precision ≥ 0.999 and recall ≥ 0.99 is kept, if any.
    """
    labels = [label for _, label in records]
    pairs = {}
    match_counts, other_counts = Counter[str](), Counter[str]()
    for i, (a, label_a) in enumerate(records):
        for j in range(i + 1, len(records)):
            levels = pairs[i, j] = _levels(a, records[j][0])
            (match_counts if label_a == labels[j] else other_counts).update(levels)
    matches = sum(1 for i, j in pairs if labels[i] == labels[j])
    others = len(pairs) - matches
    weight = {
        level: math.log2(
            ((match_counts[level] + 0.5) / matches) / ((other_counts[level] + 0.5) / others)
        )
        for level in match_counts | other_counts
    }
    ranked = []
    for i in range(len(records)):
        scores = sorted(
            (
                (sum(map(weight.__getitem__, pairs[min(i, j), max(i, j)])), labels[j] == labels[i])
                for j in range(len(records))
                if j != i
            ),
            reverse=True,
        )
        ranked.append((scores, labels.count(labels[i]) > 1))
    with_match = sum(has for _, has in ranked)
    best: dict[str, Any] | None = None
    for sure in range(0, 31):
        for possible in range(-10, sure + 1):
            linked = wrong = queued = found = 0
            for scores, has in ranked:
                (top, right), runner = scores[0], scores[1]
                if top >= sure and (runner[0] < top - margin or runner[1] == right):
                    linked += 1
                    wrong += not right
                    found += right and has
                elif top >= possible:
                    queued += 1
                    found += has and any(r for s, r in scores[:10] if s >= possible)
            figures = {
                "sure_threshold": sure,
                "possible_threshold": possible,
                "precision": round(1 - wrong / linked, 4) if linked else 1.0,
                "recall_sure_or_queued": round(found / with_match, 4),
                "queue_share": round(queued / len(records), 4),
            }
            reaches = figures["precision"] >= TARGETS["precision"] and (
                figures["recall_sure_or_queued"] >= TARGETS["recall_sure_or_queued"]
            )
            if reaches and (best is None or figures["queue_share"] < best["queue_share"]):
                best = figures
    return {"margin_bits": margin, "smallest_queue_at_target_precision_and_recall": best}


# --- (b) paper errors ------------------------------------------------------------------------


def synthetic_index(count: int, seed: int) -> list[Identity]:
    """``count`` people drawn by bascule.synth's identity generator, NIRs kept unique."""
    rng = random.Random(f"bench-recovery:{seed}")
    pickers = [birthplace_picker(spec) for spec in SITE_SPECS]
    issued: set[str] = set()
    people = []
    for number in range(count):
        traits = draw_identity(rng, TODAY, pickers[number % len(pickers)])
        contact = draw_contact(rng, SITE_SPECS[number % len(pickers)], traits)
        person = identity_from_traits(f"P{seed}-{number:07d}", traits, contact)
        if person.nir in issued:
            person = replace(person, nir=None)
        elif person.nir:
            issued.add(person.nir)
        people.append(person)
    return people


def _typo(rng: random.Random, text: str) -> str:
    """One keystroke wrong: a letter replaced, dropped, doubled, or two letters swapped."""
    if len(text) < 3:
        return text
    kind = rng.choice(("replace", "drop", "double", "swap"))
    # The first letter is read wrong as often as any other (handwriting, not keyboards).
    at = rng.randrange(1 if kind == "swap" else 0, len(text))
    if kind == "replace":
        return text[:at] + rng.choice("aeioubcdlmnrst") + text[at + 1 :]
    if kind == "drop":
        return text[:at] + text[at + 1 :]
    if kind == "double":
        return text[:at] + text[at] + text[at:]
    return text[: at - 1] + text[at] + text[at - 1] + text[at + 1 :]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _date_digit(rng: random.Random, born: date) -> date:
    """The same date with one digit of YYYYMMDD written wrong (still a valid date)."""
    digits = born.strftime("%Y%m%d")
    for _ in range(50):
        at = rng.randrange(2, 8)
        wrong = digits[:at] + rng.choice("0123456789".replace(digits[at], "")) + digits[at + 1 :]
        try:
            candidate = date(int(wrong[:4]), int(wrong[4:6]), int(wrong[6:]))
        except ValueError:
            continue
        if candidate <= TODAY:
            return candidate
    return born


Error = Callable[[random.Random, Identity], Identity]


def _accents_dropped(_rng: random.Random, p: Identity) -> Identity:
    return replace(
        p,
        birth_family_name=_strip_accents(p.birth_family_name).upper(),
        first_given_name=_strip_accents(p.first_given_name),
    )


def _inverted(_rng: random.Random, p: Identity) -> Identity:
    return replace(p, birth_family_name=p.first_given_name, first_given_name=p.birth_family_name)


def _hyphen_dropped(rng: random.Random, p: Identity) -> Identity:
    return replace(
        p,
        birth_family_name=p.birth_family_name.replace("-", rng.choice(("", " "))),
        first_given_name=p.first_given_name.replace("-", rng.choice(("", " "))),
    )


def _used_as_birth_name(_rng: random.Random, p: Identity) -> Identity:
    return replace(p, birth_family_name=p.used_name, used_name="")


def _day_month_swapped(_rng: random.Random, p: Identity) -> Identity:
    born = p.birth_date
    assert born is not None
    assert born.day <= 12
    return replace(p, birth_date=date(born.year, born.day, born.month))


def _date_typo(rng: random.Random, p: Identity) -> Identity:
    assert p.birth_date is not None
    return replace(p, birth_date=_date_digit(rng, p.birth_date))


def _family_typo(rng: random.Random, p: Identity) -> Identity:
    return replace(p, birth_family_name=_typo(rng, p.birth_family_name))


def _given_typo(rng: random.Random, p: Identity) -> Identity:
    return replace(p, first_given_name=_typo(rng, p.first_given_name))


def _errors(person: Identity) -> dict[str, Error]:
    """The paper errors that can happen to this person's identity (applied in this order)."""
    errors: dict[str, Error] = {
        "family name typo": _family_typo,
        "given name typo": _given_typo,
        "accents dropped": _accents_dropped,
    }
    if "-" in person.birth_family_name or "-" in person.first_given_name:
        errors["hyphen dropped"] = _hyphen_dropped
    if person.used_name:
        errors["used name as birth name"] = _used_as_birth_name
    born = person.birth_date
    if born is not None and born.day <= 12 and born.day != born.month:
        errors["day and month swapped"] = _day_month_swapped
    errors["date digit typo"] = _date_typo
    errors["names inverted"] = _inverted
    return errors


def _residence(rng: random.Random, city: str) -> str:
    """The commune typed: the index's, or another one of the region for someone who moved."""
    if rng.random() < 0.1:
        return birthplaces()[rng.choice(("35", "44", "29", "56", "22"))].pick(rng).name
    return city


def typed_copy(rng: random.Random, person: Identity, typed_id: str) -> tuple[Identity, list[str]]:
    """What a clerk types from a paper form about ``person``, and the errors made.

    A form carries the first given name only, the used name half the time, the birth place
    half the time, the NIR (from the carte Vitale) a quarter of the time, one in ten of
    those mistyped; the commune of residence 80 % of the time (one in ten has moved since
    the index knew them), a phone 70 % of the time (one in six changed), no e-mail; then
    0, 1 or 2 errors (45/40/15 %) among those that can happen.
    """
    nir = person.nir if rng.random() < 0.25 else None
    if nir and rng.random() < 0.1:
        at = rng.randrange(len(nir))
        nir = nir[:at] + str((int(nir[at]) + 1) % 10 if nir[at].isdigit() else 0) + nir[at + 1 :]
    typed = replace(
        person,
        id=typed_id,
        given_names=(),
        birth_place_insee=person.birth_place_insee if rng.random() < 0.5 else "",
        nir=nir,
        city=_residence(rng, person.city) if rng.random() < 0.8 else "",
        phone=(draw_phone(rng) if rng.random() < 1 / 6 else person.phone)
        if rng.random() < 0.7
        else "",
        email="",
    )
    errors = _errors(person)
    count = rng.choices((0, 1, 2), (45, 40, 15))[0]
    made = set(rng.sample(sorted(errors), min(count, len(errors))))
    for name, error in errors.items():
        if name in made:
            typed = error(rng, typed)
    if rng.random() < 0.5:
        typed = replace(typed, used_name="")
    return typed, sorted(made)


def newcomers(rng: random.Random, index: Sequence[Identity], count: int) -> list[Identity]:
    """People not in the index; 40 % share a family name and birth date with someone in it."""
    pickers = [birthplace_picker(spec) for spec in SITE_SPECS]
    people = []
    for number in range(count):
        traits = draw_identity(rng, TODAY, pickers[number % len(pickers)])
        contact = draw_contact(rng, SITE_SPECS[number % len(pickers)], traits)
        person = identity_from_traits(f"new-{number}", traits, contact)
        relative = rng.choice(index)
        # A twin (or a namesake born the same day); twins never share a given name.
        if rng.random() < 0.4 and person.first_given_name != relative.first_given_name:
            # Twins share a home, a landline and a parent's e-mail half the time.
            home = rng.random() < 0.5
            person = replace(
                person,
                birth_family_name=relative.birth_family_name,
                birth_date=relative.birth_date,
                city=relative.city if home else person.city,
                phone=relative.phone if home else person.phone,
                email=relative.email if home else person.email,
            )
        people.append(person)
    return people


def paper_workload(
    rng: random.Random, index: Sequence[Identity], known: int, unknown: int
) -> list[tuple[Identity, str | None, list[str]]]:
    """Typed identities with the index id they should link to (None: not in the index)."""
    work: list[tuple[Identity, str | None, list[str]]] = []
    for number, person in enumerate(rng.sample(list(index), known)):
        typed, made = typed_copy(rng, person, f"typed-{number}")
        work.append((typed, person.id, made))
    for person in newcomers(rng, index, unknown):
        typed, made = typed_copy(rng, person, f"typed-{person.id}")
        work.append((typed, None, made))
    rng.shuffle(work)
    return work


def evaluate_paper(
    index: PatientIndex,
    people: Sequence[Identity],
    work: Sequence[tuple[Identity, str | None, list[str]]],
    settings: MatchSettings = DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """The matcher and the exact baseline on one typed workload."""
    baseline_index = ExactBaseline(people)
    matcher, baseline = Tally(), Tally()
    missed: Counter[str] = Counter()
    for typed, truth, made in work:
        result = match(index, typed, settings)
        verdict = _judge(result, lambda found, truth=truth: found == truth)
        matcher.add(*verdict, truth is not None)
        if truth is not None and not verdict[2]:
            missed.update(made or ["no error"])
        linked = baseline_index.link(typed)
        right = None if linked is None else linked == truth
        baseline.add(right, False, bool(right), truth is not None)
    return {
        "matcher": matcher.figures(),
        "exact_baseline": baseline.figures(),
        "missed_by_error": dict(missed.most_common()),
    }


# --- (c) speed -------------------------------------------------------------------------------


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_speed(index_size: int, typed_count: int) -> dict[str, Any]:
    """Build an index of ``index_size`` people, then match ``typed_count`` typed identities."""
    started = time.perf_counter()
    people = synthetic_index(index_size, seed=2)
    generate_seconds = time.perf_counter() - started
    started, cpu = time.perf_counter(), _cpu_seconds()
    index = PatientIndex(people)
    build = (time.perf_counter() - started, _cpu_seconds() - cpu)
    rng = random.Random("bench-recovery:speed")
    work = paper_workload(rng, people, typed_count * 4 // 5, typed_count - typed_count * 4 // 5)
    results = []
    started, cpu = time.perf_counter(), _cpu_seconds()
    for typed, _, _ in work:
        results.append(match(index, typed))
    matching = (time.perf_counter() - started, _cpu_seconds() - cpu)
    tally, baseline, exact = Tally(), Tally(), ExactBaseline(people)
    for (typed, truth, _), result in zip(work, results, strict=True):
        tally.add(*_judge(result, lambda found, truth=truth: found == truth), truth is not None)
        linked = exact.link(typed)
        right = None if linked is None else linked == truth
        baseline.add(right, False, bool(right), truth is not None)
    return {
        "index": index_size,
        "typed": len(work),
        "generate_seconds": round(generate_seconds, 1),
        "build_seconds": round(build[0], 1),
        "build_cpu_seconds": round(build[1], 1),
        "match_seconds": round(matching[0], 1),
        "match_cpu_seconds": round(matching[1], 1),
        "ms_per_typed": round(matching[0] / len(work) * 1000, 2),
        "candidates_scored_per_typed": round(sum(r.scored for r in results) / len(work), 1),
        "skipped_blocks": sum(r.skipped_blocks for r in results),
        "accuracy": tally.figures(),
        "exact_baseline": baseline.figures(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


# --- Report ----------------------------------------------------------------------------------


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def _accuracy_rows(title: str, figures: dict[str, Any]) -> list[str]:
    rows = [f"\n{title}"]
    rows.append(
        f"  {'method':<15}{'sure':>7}{'wrong':>7}{'precision':>11}{'recall':>8}{'F1':>8}"
        f"{'sure+queued':>13}{'queued':>8}{'queue %':>9}"
    )
    for method in ("matcher", "exact_baseline"):
        f = figures[method]
        rows.append(
            f"  {method:<15}{f['sure']:>7}{f['sure_wrong']:>7}{f['precision']:>11.4f}"
            f"{f['recall_sure']:>8.4f}{f['f1_sure']:>8.4f}{f['recall_sure_or_queued']:>13.4f}"
            f"{f['queued']:>8}{f['queue_share'] * 100:>8.1f}%"
        )
    f = figures["matcher"]
    precision, recall = TARGETS["precision"], TARGETS["recall_sure_or_queued"]
    queue = TARGETS["queue_share"]
    rows.append(
        f"  targets: precision ≥ {precision} {_met(f['precision'] >= precision)}"
        f"; recall sure+queued ≥ {recall} {_met(f['recall_sure_or_queued'] >= recall)}"
        f"; queue ≤ {queue:.0%} {_met(f['queue_share'] <= queue)}"
    )
    return rows


def _count(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _report(
    fake: dict[str, Any],
    paper: dict[str, Any],
    speed: dict[str, Any] | None,
    args: argparse.Namespace,
) -> list[str]:
    rows = _accuracy_rows("(a) fake_1000: each record against the 999 others", fake)
    pairs = fake["pairs"]
    rows.append(
        f"  pairs: {pairs['true_pairs']} true, {pairs['sure_pairs']} linked sure "
        f"({pairs['sure_pairs_right']} right), {pairs['true_pairs_seen_sure_or_queued']} "
        "seen sure or queued"
    )
    for threshold, f in fake["trade_off"].items():
        rows.append(
            f"  with possible ≥ {threshold} bits instead: recall sure+queued "
            f"{f['recall_sure_or_queued']:.4f}, queue {f['queue_share'] * 100:.1f}%, "
            f"precision {f['precision']:.4f}"
        )
    floor = fake["vetoed_everywhere"]
    rows.append(
        f"  safety floor: {floor['records']} records ({floor['share']:.1%}) meet a veto in every "
        "other record of their person, so can only be queued: "
        + ", ".join(f"{veto} {n}" for veto, n in sorted(floor["vetoes"].items(), key=_count))
    )
    ceiling = fake["fitted_ceiling"]["smallest_queue_at_target_precision_and_recall"]
    rows.append(
        "  ceiling, a model fitted to the answers with no veto: "
        + (
            "precision and recall targets never both reached"
            if ceiling is None
            else f"smallest queue at the precision and recall targets {ceiling['queue_share']:.1%}"
            f" (sure ≥ {ceiling['sure_threshold']}, possible ≥ {ceiling['possible_threshold']}"
            f" bits): queue ≤ 5% {_met(ceiling['queue_share'] <= TARGETS['queue_share'])}"
        )
    )
    rows += _accuracy_rows(
        f"(b) paper errors: {args.typed} typed copies + {args.new} newcomers "
        f"against {args.index:,} people",
        paper,
    )
    rows.append(f"  missed, by error made: {paper['missed_by_error']}")
    if speed is None:
        return rows
    rows.append(
        f"\n(c) speed: {speed['typed']:,} typed against {speed['index']:,} people: "
        f"build {speed['build_seconds']} s (cpu {speed['build_cpu_seconds']}), "
        f"match {speed['match_seconds']} s (cpu {speed['match_cpu_seconds']}), "
        f"{speed['ms_per_typed']} ms each, {speed['candidates_scored_per_typed']} "
        f"candidates scored each, peak RSS {speed['peak_rss_mb']} MB: "
        f"≤ {TARGETS['seconds']} s {_met(speed['match_seconds'] <= TARGETS['seconds'])}"
    )
    return rows + _accuracy_rows(
        "  and its accuracy (people drawn from 389 family names: far more namesakes "
        "than a real index of this size)",
        {"matcher": speed["accuracy"], "exact_baseline": speed["exact_baseline"]},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=int, default=100_000)
    parser.add_argument("--typed", type=int, default=2_000)
    parser.add_argument("--new", type=int, default=500)
    parser.add_argument("--speed-index", type=int, default=1_000_000)
    parser.add_argument("--speed-typed", type=int, default=10_000)
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    settings = DEFAULT_SETTINGS

    started = time.perf_counter()
    records = load_fake_1000()
    fake = evaluate_fake_1000(records, settings)
    fake["seconds"] = round(time.perf_counter() - started, 1)
    # What a lower possible threshold would buy there, and cost in queue (not the setting).
    fake["vetoed_everywhere"] = vetoed_everywhere(records)
    fake["fitted_ceiling"] = fitted_ceiling(records)
    fake["trade_off"] = {
        str(threshold): {
            key: evaluate_fake_1000(records, replace(settings, possible=threshold))["matcher"][key]
            for key in ("recall_sure_or_queued", "queue_share", "precision")
        }
        for threshold in FAKE_TRADE_OFF
    }

    people = synthetic_index(args.index, seed=1)
    index = PatientIndex(people)
    work = paper_workload(random.Random("bench-recovery:paper"), people, args.typed, args.new)
    paper = evaluate_paper(index, people, work, settings)
    paper["errors_made"] = dict(Counter(e for _, _, made in work for e in made).most_common())
    del index, people

    speed = None if args.no_speed else measure_speed(args.speed_index, args.speed_typed)

    rows = _report(fake, paper, speed, args)
    print("\n".join(rows))
    inputs = {
        "settings": asdict(settings),
        "sure_threshold_by_index_size": {
            str(size): round(settings.sure_for(size), 2)
            for size in (999, args.index, args.speed_index)
        },
        "paper_index": args.index,
        "paper_typed": args.typed,
        "paper_new": args.new,
        "speed_index": args.speed_index,
        "speed_typed": args.speed_typed,
    }
    path = save(
        "recovery", inputs, {"fake_1000": fake, "paper": paper, "speed": speed, "targets": TARGETS}
    )
    print(f"\nwritten {path}")


if __name__ == "__main__":
    main()
