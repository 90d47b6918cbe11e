"""The crisis-cell web application under 50 concurrent users, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/web.py [--duration 60] [--users 50] [--backend both] [--quick]
Writes bench/results/web.json. Target (issue): p95 ≤ 200 ms and no error, 50 users
browsing the status board and writing logbook entries.

For each backend: a fresh database (SQLite file in a temporary directory, or a schema of
its own on the local PostgreSQL) gets the synthetic group, ``--users`` accounts with real
argon2id passwords (a mix of crisis leads, clerks, site managers of one site and viewers),
one incident declared on two sites and a few reported statuses. ``bascule serve`` then
runs in a process of its own on a free loopback port, and the ``locust`` command, in
another process (gevent and its monkey-patching stay away from bascule), runs
bench/web_locustfile.py headless for ``--duration`` seconds: each user signs in once,
then loops over the board (weight 6), the incident page (weight 3) and, unless a viewer,
a logbook entry followed by the incident page its redirect leads to (weight 1), thinking
1 to 3 s (uniform) between tasks.

An error is any exception, any status other than the expected one (200 for a page, 303
for a write), or a page without its CSRF token. Latency percentiles are computed here
from every sample; sign-in (argon2id verification, once per user) is reported on its own
and left out of the latency figures. The target is checked twice: over the whole run
(which includes the sign-in burst of the first seconds, when argon2id saturates the CPU)
and in steady state (requests started after the last sign-in was answered). Either way
the database must then hold exactly one logbook entry per successful write, and the
journal must verify intact. The load average before and after is saved: on a shared
machine it says how much the figures owe to other work.
"""

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bascule.crisis import accounts, status
from bascule.crisis.incidents import declare_incident
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.store.tables import LogbookEntryRow, SiteRow
from bascule.synth.group import synthesise
from common import postgres_schema, save

TARGET_P95_MS = 200.0
TARGET_ERRORS = 0
PATIENTS = 2_000
THINK_SECONDS = (1.0, 3.0)
SPAWN_RATE = 10.0
PASSWORD = "bench correct horse battery"
ACTOR = "bench"
INCIDENT_SITES = ("rennes", "saint-nazaire")
BENCH = Path(__file__).resolve().parent
LOCUSTFILE = BENCH / "web_locustfile.py"
BIN = Path(sys.executable).parent
LOGIN_NAMES = ("login form", "login")
REQUEST_NAMES = ("board", "incident", "logbook write")
# Of every 10 accounts: the shares of each role (site managers get one site each in turn).
ROLE_MIX = (("crisis-lead", 1), ("clerk", 3), ("site-manager", 3), ("viewer", 3))


def _accounts(db: Database, users: int) -> list[dict[str, Any]]:
    """Create ``users`` accounts of mixed roles; what the locustfile needs of each."""
    with db.reading() as session:
        sites = list(session.scalars(select(SiteRow.id).order_by(SiteRow.id)))
    roles = [role for role, share in ROLE_MIX for _ in range(share)]
    created = []
    for number in range(users):
        role = roles[number % len(roles)]
        site = sites[number % len(sites)] if role == "site-manager" else None
        username = f"{role.split('-')[0]}-{number:03d}"
        accounts.add_user(
            db,
            username=username,
            display_name=f"Bench {role} {number}",
            role=role,
            sites=[site] if site else [],
            password=PASSWORD,
            actor=ACTOR,
        )
        created.append(
            {
                "username": username,
                "password": PASSWORD,
                "role": role,
                "site": site,
                "writes": role != "viewer",
            }
        )
    return created


def _prepare(url: str, users: int) -> tuple[list[dict[str, Any]], str, int, int]:
    """Fill a fresh database; the accounts, the incident's id, the number of sites and of
    the incident's logbook entries before the load."""
    db = Database(url)
    try:
        upgrade(db)
        synthesise(db, patients=PATIENTS, seed=1)
        created = _accounts(db, users)
        incident = declare_incident(
            db,
            ACTOR,
            title="Panne du DPI (benchmark)",
            severity="major",
            sites=list(INCIDENT_SITES),
            systems=["ehr", "lab"],
        )
        status.report_status(db, ACTOR, site_id=INCIDENT_SITES[0], system="ehr", state="down")
        status.report_status(db, ACTOR, site_id=INCIDENT_SITES[1], system="ehr", state="down")
        status.report_status(
            db, ACTOR, site_id=INCIDENT_SITES[0], system="site", state="degraded", capacity=0.5
        )
        status.report_status(db, ACTOR, site_id=INCIDENT_SITES[1], system="lab", state="degraded")
        with db.reading() as session:
            sites = int(session.scalar(select(func.count()).select_from(SiteRow)) or 0)
        before = _entries(db, incident)
    finally:
        db.dispose()
    return created, incident, sites, before


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a running process (Linux), None where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _server(url: str, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``bascule serve`` on a free loopback port, once /health answers; stopped afterwards."""
    port = _free_port()
    command = [str(BIN / "bascule"), "--db", url, "serve", "--host", "127.0.0.1"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bascule serve did not start: see\n{log.read_text()}")
            time.sleep(0.2)
        yield base, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _locust(base: str, plan: Path, users: int, duration: int, log: Path) -> None:
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        base,
        "--users",
        str(users),
        "--spawn-rate",
        str(SPAWN_RATE),
        "--run-time",
        f"{duration}s",
        "--stop-timeout",
        "10",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    environment = {**os.environ, "BASCULE_WEB_BENCH": str(plan)}
    with log.open("wb") as output:
        # locust exits 1 when a request failed: the samples tell, not the status.
        subprocess.run(
            command,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=duration + 120,
            check=False,
        )


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _span(samples: Sequence[Sequence[Any]]) -> float:
    """Seconds from the first request's start to the last request's end."""
    if not samples:
        return 0.0
    first = min(float(sample[1]) for sample in samples)
    return max(float(sample[1]) + float(sample[2]) / 1000 for sample in samples) - first


def _latency(samples: Sequence[Sequence[Any]], seconds: float) -> dict[str, Any]:
    ordered = sorted(float(sample[2]) for sample in samples)
    failures = sum(1 for sample in samples if not sample[4])
    if not ordered:
        return {"requests": 0, "failures": 0}
    return {
        "requests": len(ordered),
        "failures": failures,
        "per_second": round(len(ordered) / seconds, 1) if seconds > 0 else None,
        "p50_ms": round(_percentile(ordered, 0.50), 1),
        "p95_ms": round(_percentile(ordered, 0.95), 1),
        "p99_ms": round(_percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1),
    }


def _figures(samples: list[list[Any]]) -> dict[str, Any]:
    """Latency overall, per request type, in steady state, and of sign-in."""
    seconds = _span(samples)
    browsing = [sample for sample in samples if sample[0] not in LOGIN_NAMES]
    logins = [sample for sample in samples if sample[0] == "login"]
    # Steady state: what starts after the last sign-in has been answered.
    signed_in = max((float(s[1]) + float(s[2]) / 1000 for s in logins), default=0.0)
    steady = [sample for sample in browsing if float(sample[1]) >= signed_in]
    figures: dict[str, Any] = {
        "overall": _latency(browsing, seconds),
        "by_request": {
            name: _latency([s for s in browsing if s[0] == name], seconds) for name in REQUEST_NAMES
        },
        "steady_state": _latency(steady, _span(steady)),
        "steady_state_by_request": {
            name: _latency([s for s in steady if s[0] == name], _span(steady))
            for name in REQUEST_NAMES
        },
        "login": _latency(logins, seconds),
        "login_form": _latency([s for s in samples if s[0] == "login form"], seconds),
        "seconds": round(seconds, 1),
        "steady_state_seconds": round(_span(steady), 1),
    }
    statuses: dict[str, int] = {}
    for sample in samples:
        if not sample[4]:
            key = f"{sample[0]} {sample[3]}"
            statuses[key] = statuses.get(key, 0) + 1
    figures["failure_statuses"] = statuses
    figures["successful_writes"] = sum(
        1 for sample in samples if sample[0] == "logbook write" and sample[4]
    )
    return figures


def _entries(db: Database, incident: str) -> int:
    """Number of logbook entries of ``incident``."""
    query = select(func.count()).select_from(LogbookEntryRow)
    with db.reading() as session:
        return int(session.scalar(query.where(LogbookEntryRow.incident_id == incident)) or 0)


def _check(url: str, incident: str, before: int) -> dict[str, Any]:
    """Logbook entries written during the run, and the journal's verdict."""
    db = Database(url)
    try:
        entries = _entries(db, incident)
        with db.reading() as session:
            verdict = journal.verify(session)
    finally:
        db.dispose()
    return {
        "logbook_entries": entries - before,
        "journal_entries": verdict.entries,
        "journal_intact": verdict.intact,
        "journal_problems": verdict.problems[:3],
    }


def run_backend(url: str, users: int, duration: int, scratch: Path) -> dict[str, Any]:
    """Prepare, serve, load and check one database; its figures."""
    load_before = list(os.getloadavg())
    started = time.perf_counter()
    created, incident, sites, before = _prepare(url, users)
    prepared = time.perf_counter() - started
    plan = scratch / "plan.json"
    samples_path = scratch / "samples.json"
    samples_path.unlink(missing_ok=True)
    plan.write_text(
        json.dumps(
            {
                "accounts": created,
                "incident": incident,
                "think": THINK_SECONDS,
                "samples": str(samples_path),
            }
        ),
        encoding="utf-8",
    )
    with _server(url, scratch / "server.log") as (base, process):
        cpu_before = _cpu_seconds(process.pid)
        wall = time.perf_counter()
        _locust(base, plan, users, duration, scratch / "locust.log")
        wall = time.perf_counter() - wall
        cpu_after = _cpu_seconds(process.pid)
    if not samples_path.exists():
        raise RuntimeError(f"locust left no samples:\n{(scratch / 'locust.log').read_text()}")
    samples = json.loads(samples_path.read_text("utf-8"))
    figures = _figures(samples)
    figures.update(_check(url, incident, before))
    figures["writes_match_entries"] = figures["successful_writes"] == figures["logbook_entries"]
    figures["sites"] = sites
    figures["prepare_seconds"] = round(prepared, 1)
    if cpu_before is not None and cpu_after is not None:
        figures["server_cpu_share"] = round((cpu_after - cpu_before) / wall, 2)
    consistent = figures["writes_match_entries"] and figures["journal_intact"]
    for scope in ("overall", "steady_state"):
        latency = figures[scope]
        figures[f"target_met_{scope}"] = bool(
            latency.get("requests")
            and latency.get("p95_ms", math.inf) <= TARGET_P95_MS
            and latency.get("failures", 1) == TARGET_ERRORS
            and consistent
        )
    figures["load_average"] = {"before": load_before, "after": list(os.getloadavg())}
    server_log = (scratch / "server.log").read_text(errors="replace")
    figures["server_errors_logged"] = server_log.count("Traceback")
    return figures


def _table(results: dict[str, dict[str, Any]]) -> None:
    header = f"{'backend':<10} {'request':<21} {'n':>6} {'fail':>5} {'req/s':>6} "
    header += f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    print(header)
    print("-" * len(header))
    for backend, figures in results.items():
        rows = [
            ("all (no login)", figures["overall"]),
            *figures["by_request"].items(),
            ("login", figures["login"]),
            ("steady: all", figures["steady_state"]),
            *((f"steady: {n}", row) for n, row in figures["steady_state_by_request"].items()),
        ]
        for name, row in rows:
            if not row.get("requests"):
                print(f"{backend:<10} {name:<21} {0:>6}")
                continue
            print(
                f"{backend:<10} {name:<21} {row['requests']:>6} {row['failures']:>5} "
                f"{row['per_second']:>6} {row['p50_ms']:>7} {row['p95_ms']:>7} "
                f"{row['p99_ms']:>7} {row['max_ms']:>7}"
            )
    print()
    for backend, figures in results.items():
        for scope, label in (("overall", "whole run"), ("steady_state", "steady state")):
            latency = figures[scope]
            verdict = "met" if figures[f"target_met_{scope}"] else "NOT met"
            print(
                f"{backend}: {label}: target p95 ≤ {TARGET_P95_MS:.0f} ms and {TARGET_ERRORS} "
                f"errors {verdict} (p95 {latency.get('p95_ms')} ms, "
                f"{latency.get('failures')} failures)"
            )
        load = figures["load_average"]
        print(
            f"{backend}: writes {figures['successful_writes']} / logbook entries "
            f"{figures['logbook_entries']}; journal "
            f"{'intact' if figures['journal_intact'] else 'BROKEN'} "
            f"({figures['journal_entries']:,} entries); steady state from "
            f"{figures['seconds'] - figures['steady_state_seconds']:.1f} s of "
            f"{figures['seconds']:.1f} s; server CPU {figures.get('server_cpu_share', '?')} core; "
            f"load average {load['before'][0]:.1f} -> {load['after'][0]:.1f}"
        )
        if figures["failure_statuses"]:
            print(f"{backend}: failures by request and status: {figures['failure_statuses']}")
        if figures["server_errors_logged"]:
            print(f"{backend}: {figures['server_errors_logged']} tracebacks in the server log")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per backend")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="15 s per backend")
    args = parser.parse_args()
    duration = 15 if args.quick else args.duration

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        if args.backend in ("sqlite", "both"):
            url = f"sqlite:///{scratch}/web.sqlite3"
            results["sqlite"] = run_backend(url, args.users, duration, scratch)
        if args.backend in ("postgres", "both"):
            with postgres_schema() as url:
                results["postgresql"] = run_backend(url, args.users, duration, scratch)

    inputs = {
        "users": args.users,
        "duration_seconds": duration,
        "spawn_rate_per_second": SPAWN_RATE,
        "think_seconds": list(THINK_SECONDS),
        "task_weights": {"board": 6, "incident": 3, "logbook write (+ incident page)": 1},
        "role_mix_per_10": dict(ROLE_MIX),
        "patients": PATIENTS,
        "incident_sites": list(INCIDENT_SITES),
        "server": "bascule serve (one uvicorn process) on 127.0.0.1; locust in another process",
        "load_generator": "locust FastHttpUser (bench/web_locustfile.py)",
        "errors": "exception, or a status other than 200 (page) / 303 (write)",
    }
    figures: dict[str, Any] = {**results, "target_p95_ms": TARGET_P95_MS}
    path = save("web", inputs, figures)
    _table(results)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
