"""The patient index as journal changes, chunk by chunk, made ahead in a worker process.

Generating and encoding a patient costs about a third of what the journal spends writing
one, so on a machine with a spare core a child interpreter (``python -m
bascule.synth.feed``) produces the next chunk while the writer stores the current one, and
streams the chunks back pickled through a pipe; the pipe's back-pressure keeps it about
one chunk ahead. Each chunk comes from its own random stream, so the changes are the same
whichever process makes them.

A plain child interpreter rather than ``multiprocessing``: spawn re-runs the caller's main
script (breaking unguarded scripts) and fork is unsafe next to the CLI's progress thread.
"""

import gc
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO

from bascule.store.changes import patient_registered
from bascule.store.journal import Change
from bascule.synth.people import chunk_sizes, patient_chunk

WORKER_MIN_CHUNKS = 3
"""Below this many chunks, starting a worker costs more than it saves."""


def patient_changes(seed: int, chunk: int, count: int, today: date) -> list[Change]:
    """``patient.registered`` changes for one chunk of the index (see ``patient_chunk``)."""
    return [
        patient_registered(patient, home)
        for home, patient in patient_chunk(seed, chunk, count, today)
    ]


def _in_process(seed: int, sizes: list[int], today: date, first: int) -> Iterator[list[Change]]:
    for chunk in range(first, len(sizes)):
        yield patient_changes(seed, chunk, sizes[chunk], today)


def _start_worker(seed: int, count: int, today: date) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    # The child must import this very bascule, installed or not.
    source_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "bascule.synth.feed", str(seed), str(count), today.isoformat()],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        # A failing worker is replaced by in-process generation, which raises the same
        # error with its traceback where the caller sees it; its own output would only
        # scramble the progress bar.
        stderr=subprocess.DEVNULL,
        env=env,
    )


def _from_worker(seed: int, sizes: list[int], today: date) -> Iterator[list[Change]]:
    """Chunks read from the worker; if it fails, the rest are made here, identically."""
    try:
        worker = _start_worker(seed, sum(sizes), today)
    except OSError:
        yield from _in_process(seed, sizes, today, 0)
        return
    stream: IO[bytes] | None = worker.stdout
    received = 0
    try:
        while received < len(sizes) and stream is not None:
            try:
                changes: list[Change] = pickle.load(stream)
            except (EOFError, pickle.UnpicklingError):
                break
            received += 1
            yield changes
    finally:
        worker.kill()
        worker.wait()
        if stream is not None:
            stream.close()
    yield from _in_process(seed, sizes, today, received)


def patient_change_chunks(
    seed: int, count: int, today: date, *, worker: bool | None = None
) -> Iterator[list[Change]]:
    """The index's ``patient.registered`` changes in chunks, in index order.

    ``worker`` forces or forbids the worker process; by default it is used when there are
    enough chunks and more than one CPU.
    """
    sizes = chunk_sizes(count)
    if worker is None:
        worker = len(sizes) >= WORKER_MIN_CHUNKS and (os.cpu_count() or 1) > 1
    if worker:
        yield from _from_worker(seed, sizes, today)
    else:
        yield from _in_process(seed, sizes, today, 0)


def _serve(seed: int, count: int, today: date) -> None:
    """Write every chunk, pickled, to standard output (the worker's side of the pipe)."""
    # Only short-lived, acyclic objects here: cyclic collection is pure overhead.
    gc.disable()
    out = sys.stdout.buffer
    for chunk, size in enumerate(chunk_sizes(count)):
        pickle.dump(patient_changes(seed, chunk, size, today), out, pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]), date.fromisoformat(sys.argv[3]))
