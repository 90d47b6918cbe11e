"""Continuity kits at scale: build time and size, delta time, viewer readiness and search
latency in headless Chromium, and end-to-end freshness of a site agent's copy.

Run: .venv/bin/python bench/kit.py [--patients 500000] [--freshness-seconds 300]
Writes bench/results/kit.json. Targets (issue): build ≤ 15 s, size ≤ 40 MB, delta ≤ 1 s,
viewer ready ≤ 5 s, search p95 ≤ 100 ms, freshness p95 ≤ 60 s.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bascule.domain.activity import Visit, VisitKind
from bascule.kit.agent_store import create_token
from bascule.kit.build import build_delta_file, build_kit_file
from bascule.kit.container import open_content, parse
from bascule.kit.content import decode_index
from bascule.kit.keys import GROUP_SLOT, SITE_SLOT, KeyStore
from bascule.kit.publish import Publisher
from bascule.kit.viewer import write_viewer
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.store.tables import PatientLocalIdRow, VisitRow
from bascule.synth.group import synthesise
from bascule.web.app import create_app
from bascule.web.server import BackgroundServer
from common import save
from kit_viewer import measure_viewer

SITE_PASSPHRASE = "phrase de banc du site"
GROUP_PASSPHRASE = "phrase de banc du groupe"
TARGETS = {
    "build_seconds": 15,
    "size_mb": 40,
    "delta_seconds": 1,
    "viewer_ready_ms": 5000,
    "search_p95_ms": 100,
    "freshness_p95_seconds": 60,
}


def _busiest_site(db: Database) -> str:
    """The site that knows the most patients: the hardest kit to build."""
    with db.reading() as session:
        counts = session.execute(
            select(PatientLocalIdRow.site_id, func.count()).group_by(PatientLocalIdRow.site_id)
        ).all()
    return max(counts, key=lambda row: row[1])[0]


def _site_patients(db: Database, site: str, count: int) -> list[str]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(PatientLocalIdRow.patient_id)
                .where(PatientLocalIdRow.site_id == site)
                .order_by(PatientLocalIdRow.patient_id)
                .limit(count)
            )
        )


class ChangeStream:
    """Journals visits at ``rate`` per second, in a thread, like a busy admissions desk."""

    def __init__(self, db: Database, site: str, rate: float, name: str) -> None:
        self.db, self.site, self.rate, self.name = db, site, rate, name
        self.patients = _site_patients(db, site, 20_000)
        self.written = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        rng = random.Random(7)
        started = time.monotonic()
        try:
            while not self._stop.is_set():
                due = int((time.monotonic() - started) * self.rate) - self.written
                if due > 0:
                    self.write(rng, due)
                time.sleep(0.05)
        except BaseException as exc:  # reported by __exit__ in the main thread
            self.error = exc

    def write(self, rng: random.Random, count: int) -> None:
        """Journal ``count`` visits now."""
        now = self.db.clock.now()
        visits = [
            Visit(
                f"{self.name}-{self.written + n}",
                rng.choice(self.patients),
                self.site,
                now,
                VisitKind.EMERGENCY,
                "orthopaedics",
            )
            for n in range(count)
        ]
        with self.db.writing() as session:
            journal.append(
                session, [changes.visit_recorded(v) for v in visits], actor="bench", at=now
            )
        self.written += count

    def __enter__(self) -> "ChangeStream":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        if self.error is not None:
            raise RuntimeError("the change stream failed") from self.error


def _queries(content: dict[str, Any], count: int) -> list[str]:
    """Realistic searches: names without accents, names with a typo, dates, NIRs, IPPs."""
    rng = random.Random(11)
    rows = list(decode_index(content["index"]).values())
    queries: list[str] = []
    while len(queries) < count:
        row = rng.choice(rows)
        kind = len(queries) % 5
        if kind == 0:
            queries.append(f"{row[1]} {row[3].split()[0]}".lower())
        elif kind == 1:
            name = row[1].lower()
            at = rng.randrange(1, max(2, len(name) - 1))
            queries.append(name[:at] + name[at + 1 :] if len(name) > 4 else name)
        elif kind == 2:
            year, month, day = row[4].split("-")
            queries.append(f"{day}/{month}/{year}")
        elif kind == 3 and row[6]:
            queries.append(row[6])
        else:
            queries.append(row[8].split()[0].split(":", 1)[1])
    return queries


def measure_build(db: Database, keys: KeyStore, site: str) -> dict[str, Any]:
    """Full kit build (median of 3) and size."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        built = build_kit_file(db, keys, site)
        timings.append(time.perf_counter() - started)
    return {"built": built, "seconds": statistics.median(timings)}


def measure_delta(db: Database, keys: KeyStore, site: str, manifest: dict[str, Any]) -> float:
    """Median time to build a delta carrying 100 new changes, over 5 rounds."""
    stream = ChangeStream(db, site, 0, "bench-delta")
    rng = random.Random(3)
    timings = []
    for _ in range(5):
        stream.write(rng, 100)
        started = time.perf_counter()
        build_delta_file(db, keys, manifest)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _age_seconds(status_file: Path) -> float | None:
    try:
        status = json.loads(status_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not status.get("created_at"):
        return None
    created = datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
    return (datetime.now(UTC) - created).total_seconds()


def measure_freshness(
    db: Database, keys: KeyStore, site: str, work: Path, *, seconds: int, rate: float
) -> dict[str, Any]:
    """Changes at ``rate``/s for ``seconds``; the agent's copy age sampled every second."""
    publisher = Publisher(db, keys, work / "kits")
    publisher.publish_kit(site)
    with db.writing() as session:
        token = create_token(session, site, actor="bench", at=db.clock.now()).token
    app = create_app(db)
    app.state.kit_publisher = publisher
    agent_dir = work / "agent"
    samples: list[float] = []
    with BackgroundServer(app) as server:
        command = [
            sys.executable,
            "-m",
            "bascule.cli",
            "agent",
            "--site",
            site,
            "--server",
            server.url,
            "--dir",
            str(agent_dir),
            "--group-key",
            str(keys.public_key_path),
        ]
        env = {**os.environ, "BASCULE_AGENT_TOKEN": token}
        agent = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while _age_seconds(agent_dir / "status.json") is None:
                if time.monotonic() > deadline:
                    raise RuntimeError("the agent did not fetch its first kit in 2 minutes")
                time.sleep(0.5)
            with ChangeStream(db, site, rate, "bench-stream") as stream:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    age = _age_seconds(agent_dir / "status.json")
                    if age is not None:
                        samples.append(age)
                    time.sleep(1)
                written = stream.written
        finally:
            agent.terminate()
            agent.wait(timeout=30)
    ordered = sorted(samples)
    return {
        "changes_per_second": rate,
        "changes_written": written,
        "seconds": seconds,
        "samples": len(samples),
        "age_median_seconds": round(statistics.median(ordered), 1),
        "age_p95_seconds": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "age_max_seconds": round(ordered[-1], 1),
    }


def main() -> None:
    """Run every measurement on one synthetic group, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=500_000)
    parser.add_argument("--freshness-seconds", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        db = Database(f"sqlite:///{work / 'group.sqlite3'}")
        upgrade(db)
        print(f"synthesising {args.patients:,} patients …", flush=True)
        synthesise(db, patients=args.patients, seed=1)
        keys = KeyStore(work / "keys")
        keys.create_signing_key()
        site = _busiest_site(db)
        keys.set_slot(SITE_SLOT, SITE_PASSPHRASE, site)
        keys.set_slot(GROUP_SLOT, GROUP_PASSPHRASE)

        build = measure_build(db, keys, site)
        built = build["built"]
        content = open_content(parse(built.data), SITE_PASSPHRASE)
        delta_seconds = measure_delta(db, keys, site, built.manifest)
        viewer = work / "viewer.html"
        write_viewer(viewer, [built.data], keys.signing_key().public_key())
        queries = _queries(content, args.queries)
        viewed = measure_viewer(viewer, SITE_PASSPHRASE, queries)
        fresh = measure_freshness(
            db, keys, site, work, seconds=args.freshness_seconds, rate=args.rate
        )
        with db.reading() as session:
            visits = session.scalar(select(func.count()).select_from(VisitRow))
        db.dispose()

    figures = {
        "site": site,
        "index_patients": len(content["index"]["id"]),
        "active_patients": len(content["collections"]["patients"]),
        "visits_in_store": visits,
        "build_seconds": round(build["seconds"], 2),
        "size_mb": round(len(built.data) / 1e6, 1),
        "delta_seconds": round(delta_seconds, 3),
        "viewer_ready_ms": round(viewed["ready_ms"]),
        "viewer_html_mb": round(viewer_size_mb(built.data), 1),
        "search_median_ms": round(viewed["search_ms_median"], 1),
        "search_p95_ms": round(viewed["search_ms_p95"], 1),
        "freshness": fresh,
    }
    checks = {
        "build_seconds": figures["build_seconds"],
        "size_mb": figures["size_mb"],
        "delta_seconds": figures["delta_seconds"],
        "viewer_ready_ms": figures["viewer_ready_ms"],
        "search_p95_ms": figures["search_p95_ms"],
        "freshness_p95_seconds": fresh["age_p95_seconds"],
    }
    figures["ratio_to_target"] = {k: round(v / TARGETS[k], 2) for k, v in checks.items()}
    for name, value in checks.items():
        verdict = "ok" if value <= TARGETS[name] else "OVER TARGET"
        print(f"{name:<24}{value:>10}  target ≤ {TARGETS[name]:<6} {verdict}")
    print(f"freshness: {json.dumps(fresh)}")
    path = save("kit", vars(args), figures)
    print(f"saved {path}")


def viewer_size_mb(kit: bytes) -> float:
    """Size of the kit once base64-embedded in the viewer (4/3 of the kit)."""
    return len(kit) * 4 / 3 / 1e6


if __name__ == "__main__":
    main()
