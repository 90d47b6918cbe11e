"""Ingestion at scale: HL7 v2 over MLLP with ACK after commit, against parse-only; FHIR import.

Run: .venv/bin/python bench/ingest.py [--patients 20000] [--messages 5000] [--senders 8 16]
Writes bench/results/ingest.json. Target (issue): ≥ 1,000 acknowledged messages per
second on SQLite with ACK after commit; p99 ACK latency reported. The parse-only rate of
the same messages, measured in the same run, shows what durability costs; the rate of
python-hl7's parser on them (which parse_message used until it got its own split) keeps
the figure comparable with earlier runs.

The senders run in a process of their own, as the interface engines feeding the server
are other machines: threads in the server's process would take turns with it on the
interpreter lock. Each sender waits for a message's ACK before sending its next one.
The first sender count gives the headline figures (``sqlite``, ``postgresql``); every
count is replayed against a fresh copy of the same group (``*_by_senders``), since a
replay against the first run's database would only meet repeats.
"""

import argparse
import json
import multiprocessing
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import hl7

from bascule.clock import SimulatedClock
from bascule.ingest.background import BackgroundMllp
from bascule.ingest.fhir_import import import_fhir
from bascule.ingest.hl7_message import decode, parse_message
from bascule.ingest.processing import Processor
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.synth.group import synthesise
from bascule.synth.hl7feed import feed_messages
from bascule.synth.hl7send import SendReport, send_messages
from common import postgres_schema, save

TARGET_ACKS_PER_SECOND = 1000
SITE = "rennes"
START = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
FHIR_SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "fhir-r4"
_REFERENCE = re.compile(r"^([A-Za-z]+)/([^/?]+)$")
_SUMMARY = ("acks_per_second", "ack_p50_ms", "ack_p99_ms", "parse_only_over_acked", "codes")


def _group(url: str, patients: int) -> Database:
    db = Database(url, clock=SimulatedClock(NOW))
    upgrade(db)
    synthesise(db, patients=patients, seed=1, start=START)
    return db


def _parse_only(messages: list[str], parse: Callable[[str], object] = parse_message) -> float:
    started = time.perf_counter()
    for message in messages:
        parse(decode(message.encode("utf-8")))
    return len(messages) / (time.perf_counter() - started)


def _over_mllp(db: Database, messages: list[str], senders: int) -> dict[str, Any]:
    with db.reading() as session:
        before = journal.count(session)
    processor = Processor(db, site_id=SITE, actor="bench")
    # Spawned, not forked: the listener's thread is already running in this process.
    context = multiprocessing.get_context("spawn")
    with BackgroundMllp(processor) as listener, context.Pool(1) as pool:
        report: SendReport = pool.apply(
            send_messages, (messages, "127.0.0.1", listener.port), {"senders": senders}
        )
    with db.reading() as session:
        entries = journal.count(session) - before
    return {
        "acked": report.sent,
        "codes": report.codes,
        "seconds": round(report.seconds, 2),
        "acks_per_second": round(report.rate, 1),
        "ack_p50_ms": round(report.percentile(0.5) * 1000, 1),
        "ack_p99_ms": round(report.percentile(0.99) * 1000, 1),
        "journal_entries": entries,
        "failures": list(report.failures[:3]),
    }


def _suffixed(value: Any, suffix: str) -> Any:
    """A resource with every id and literal reference made distinct by ``suffix``."""
    if isinstance(value, dict):
        copy = {key: _suffixed(item, suffix) for key, item in value.items()}
        reference = copy.get("reference")
        if isinstance(reference, str) and (match := _REFERENCE.match(reference)):
            copy["reference"] = f"{match[1]}/{match[2]}{suffix}"
        if isinstance(copy.get("id"), str):
            copy["id"] += suffix
        return copy
    if isinstance(value, list):
        return [_suffixed(item, suffix) for item in value]
    return value


def _fhir_files(directory: Path, copies: int) -> tuple[list[Path], int]:
    """The sample NDJSON files, each resource repeated ``copies`` times with new ids."""
    resources = 0
    paths = []
    for source in sorted(FHIR_SAMPLE.rglob("*.ndjson")):
        lines = [json.loads(line) for line in source.read_text("utf-8").splitlines() if line]
        if not lines or "resourceType" not in lines[0]:
            continue
        target = directory / source.name
        with target.open("w", encoding="utf-8") as out:
            for copy in range(copies):
                for resource in lines:
                    out.write(json.dumps(_suffixed(resource, f"-b{copy}")) + "\n")
                    resources += 1
        paths.append(target)
    return paths, resources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument(
        "--senders",
        type=int,
        nargs="+",
        default=[8, 16],
        help="concurrent MLLP connections, one run each; the first gives the headline",
    )
    parser.add_argument("--fhir-copies", type=int, default=50)
    args = parser.parse_args()

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "group.sqlite3"
        sqlite = _group(f"sqlite:///{template}", args.patients)
        with sqlite.reading() as session:
            messages = feed_messages(session, SITE, args.messages, seed=7, start=NOW)
        sqlite.dispose()
        rates = [_parse_only(messages) for _ in range(3)]
        figures["parse_only_per_second"] = round(statistics.median(rates), 1)
        rates = [_parse_only(messages, hl7.parse) for _ in range(3)]
        figures["python_hl7_parse_per_second"] = round(statistics.median(rates), 1)
        by_senders: dict[str, dict[int, dict[str, Any]]] = {"sqlite": {}, "postgresql": {}}
        for senders in args.senders:
            copy = Path(scratch) / f"bench-{senders}.sqlite3"
            for suffix in ("", "-wal"):
                if Path(f"{template}{suffix}").exists():
                    shutil.copyfile(f"{template}{suffix}", f"{copy}{suffix}")
            sqlite = Database(f"sqlite:///{copy}", clock=SimulatedClock(NOW))
            by_senders["sqlite"][senders] = _over_mllp(sqlite, messages, senders)
            sqlite.dispose()
            with postgres_schema() as url:
                postgres = _group(url, args.patients)
                by_senders["postgresql"][senders] = _over_mllp(postgres, messages, senders)
                postgres.dispose()
        for backend, runs in by_senders.items():
            for run in runs.values():
                run["parse_only_over_acked"] = round(
                    figures["parse_only_per_second"] / run["acks_per_second"], 1
                )
            figures[backend] = runs[args.senders[0]]
            figures[f"{backend}_by_senders"] = {
                str(senders): {key: run[key] for key in _SUMMARY} for senders, run in runs.items()
            }

        fhir_db = Database(f"sqlite:///{scratch}/fhir.sqlite3", clock=SimulatedClock(NOW))
        upgrade(fhir_db)
        synthesise(fhir_db, patients=100, seed=1, start=START)
        paths, resources = _fhir_files(Path(scratch), args.fhir_copies)
        started = time.perf_counter()
        report = import_fhir(fhir_db, paths, site_id=SITE, actor="bench")
        seconds = time.perf_counter() - started
        again = time.perf_counter()
        second = import_fhir(fhir_db, paths, site_id=SITE, actor="bench")
        figures["fhir"] = {
            "resources": resources,
            "seconds": round(seconds, 2),
            "resources_per_second": round(resources / seconds, 1),
            "created": report.created,
            "errors": len(report.errors),
            "reimport_seconds": round(time.perf_counter() - again, 2),
            "reimport_created_or_updated": sum(second.created.values())
            + sum(second.updated.values()),
        }
        fhir_db.dispose()
    figures["target_acks_per_second_sqlite"] = TARGET_ACKS_PER_SECOND
    inputs = {
        "patients": args.patients,
        "messages": args.messages,
        "senders": args.senders,
        "senders_process": "one process apart from the server's, a thread per connection",
        "site": SITE,
        "fhir_copies": args.fhir_copies,
        "ack": "after commit (group commit: one transaction and one journal append per batch)",
    }
    path = save("ingest", inputs, figures)
    for key, value in figures.items():
        print(f"{key:>30}: {value}")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
