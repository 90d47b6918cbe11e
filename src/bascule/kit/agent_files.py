"""Durable, atomic file replacement, shared by the site agent and the kit publisher.

A reader (the viewer, ``bascule kit status``, an agent serving a kit) sees either the
previous file or the complete new one, never part of one, whatever instant the writer is
killed at or the disk fills up: the bytes go to a temporary file in the same directory,
are flushed to the disk, and only then renamed over the target.
"""

import os
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

TEMP_PREFIX = ".incoming-"
TEMP_SUFFIX = ".tmp"


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX; a no-op where directories can't sync)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a directory; its renames are journaled by NTFS
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def replace_atomically(path: Path, produce: Callable[[Path], None], *, mode: int = 0o644) -> None:
    """Let ``produce`` write a temporary file, then make it ``path`` durably and atomically.

    On any failure (a full disk included) the temporary file is removed, ``path`` keeps
    its previous content, and the error propagates.
    """
    descriptor, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    temporary = Path(name)
    try:
        os.close(descriptor)
        produce(temporary)
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            temporary.unlink()
        raise
    fsync_directory(path.parent)


def write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` durably and atomically (see :func:`replace_atomically`)."""

    def produce(temporary: Path) -> None:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()

    replace_atomically(path, produce, mode=mode)


def remove_temporaries(directory: Path, pattern: str = f"{TEMP_PREFIX}*{TEMP_SUFFIX}") -> list[str]:
    """Delete temporary files a killed writer left in ``directory``; their names."""
    removed = []
    for leftover in directory.glob(pattern):
        with suppress(FileNotFoundError):
            leftover.unlink()
            removed.append(leftover.name)
    return removed
