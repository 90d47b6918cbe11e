"""What every benchmark shares: machine description, timing, and saving results."""

import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

RESULTS = Path(__file__).with_name("results")
PG_SERVER_URL = os.environ.get("BASCULE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def machine() -> dict[str, Any]:
    """The machine the figures were measured on."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def save(name: str, inputs: dict[str, Any], figures: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` and return its path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {
        "benchmark": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "inputs": inputs,
        "figures": figures,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``run``."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL to a fresh schema on the local PostgreSQL, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_SERVER_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_SERVER_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_SERVER_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
