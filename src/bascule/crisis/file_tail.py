"""Reading the lines a program appends to a file, through truncation and rotation.

Like ``tail -F``: the file stays open between reads, so lines written just before a
rotation (rename, then a new file at the path) are still read from the old file before
the new one is opened. A file that became shorter than what was read, or whose first
bytes changed, was truncated or replaced in place (copytruncate): reading starts over.
Lines keep their numbers in their file, for error messages.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_READ = 8 * 1024 * 1024
_HEAD_BYTES = 64


@dataclass(frozen=True, slots=True)
class Lines:
    """Complete lines read in one go, the number of the first, and whether the file restarted."""

    data: bytes
    first_line: int
    restarted: bool = False


class FileTail:
    """Complete lines appended to ``path`` since the last :meth:`read`.

    Without ``from_start`` what the file holds when first opened is skipped (but counted,
    so line numbers stay those of the file).
    """

    def __init__(self, path: Path, *, from_start: bool = False) -> None:
        self.path = path
        self._file: BinaryIO | None = None
        self._inode: int | None = None
        self._head = b""
        self._pending = b""
        self._lines_done = 0
        self._skip_existing = not from_start

    def close(self) -> None:
        """Close the file; a later read opens it again, from its start."""
        if self._file is not None:
            self._file.close()
        self._file = None

    def read(self) -> Lines:
        """The complete lines written since last time (a partial last line waits)."""
        restarted = False
        if self._file is None:
            self._open()
        elif self._replaced_in_place(self._file):
            self._restart(self._file)
            restarted = True
        if self._file is None:
            return Lines(b"", self._lines_done + 1)
        chunk = self._file.read(MAX_READ)
        if len(chunk) == MAX_READ or not self._rotated():
            return self._complete(self._file, chunk, restarted)
        # The old file is drained: its unterminated last line is complete now.
        tail = chunk or self._pending
        if tail and not tail.endswith(b"\n"):
            chunk += b"\n"
        lines = self._complete(self._file, chunk, restarted)
        self.close()
        self._open()
        return Lines(lines.data, lines.first_line, True)

    def _open(self) -> None:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        self._file = handle
        self._inode = os.fstat(handle.fileno()).st_ino
        if self._skip_existing:
            self._skip_existing = False
            self._skip_to_last_line(handle)
        else:
            self._restart(handle)

    def _skip_to_last_line(self, handle: BinaryIO) -> None:
        # Stop after the last complete line: a line being written is read once complete.
        lines = position = resume_at = 0
        while chunk := handle.read(MAX_READ):
            lines += chunk.count(b"\n")
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                resume_at = position + newline + 1
            position += len(chunk)
        handle.seek(resume_at)
        self._lines_done = lines
        self._pending = b""
        self._head = self._read_head(handle)

    def _restart(self, handle: BinaryIO) -> None:
        handle.seek(0)
        self._head = b""
        self._pending = b""
        self._lines_done = 0

    @staticmethod
    def _read_head(handle: BinaryIO) -> bytes:
        position = handle.tell()
        handle.seek(0)
        head = handle.read(_HEAD_BYTES)
        handle.seek(position)
        return head

    def _replaced_in_place(self, handle: BinaryIO) -> bool:
        if os.fstat(handle.fileno()).st_size < handle.tell():
            return True
        return not self._read_head(handle).startswith(self._head)

    def _rotated(self) -> bool:
        try:
            return os.stat(self.path).st_ino != self._inode
        except FileNotFoundError:
            return False  # being rotated: the new file appears on a later read

    def _complete(self, handle: BinaryIO, chunk: bytes, restarted: bool) -> Lines:
        if len(self._head) < _HEAD_BYTES:
            self._head = self._read_head(handle)
        data = self._pending + chunk
        cut = data.rfind(b"\n") + 1
        complete, self._pending = data[:cut], data[cut:]
        if len(self._pending) > MAX_READ:
            # A line this long is no sensor's: hand it over (to be reported) to bound memory.
            complete, self._pending = data + b"\n", b""
        first = self._lines_done + 1
        self._lines_done += complete.count(b"\n")
        return Lines(complete, first, restarted)
