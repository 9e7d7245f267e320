"""What every file reader shares: the file being read, how far it got, and where problems go.

Bad input is normal in exported logs (a cut-off EVTX copy, a JSON line edited by hand); a reader
reports each problem with the file, the place in it and the raw bytes, then carries on, so one
bad record never costs the rest of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path

from collectors.deadletter import DeadLetter


@dataclass(frozen=True)
class ReadProblem:
    """One piece of a file that could not become an event."""

    path: str
    format: str
    location: str  # "record 17", "line 5", "chunk 3", "packet 12", or "file"
    reason: str
    raw: bytes = b""
    locked: bool = False  # an encrypted archive member: a password would have opened it


ProblemHandler = Callable[[ReadProblem], None]


def dead_letter_handler(dead_letter: DeadLetter) -> ProblemHandler:
    """Problems to the dead-letter file, as `file/<format>` with file and place in the reason."""

    def write(problem: ReadProblem) -> None:
        dead_letter.write(
            source=f"file/{problem.format}",
            reason=f"{problem.path}: {problem.location}: {problem.reason}",
            raw=problem.raw,
        )

    return write


@dataclass(frozen=True)
class Start:
    """Where to begin reading a text file: a byte offset at the start of a line, and the number
    of lines before it (so problems still name the file's own line numbers)."""

    offset: int
    lines: int


@dataclass
class SourceFile:
    """A file being read: readers advance `bytes_done` and report problems through it."""

    path: Path
    format: str
    size: int
    on_problem: ProblemHandler
    bytes_done: int = 0
    problems: int = field(default=0)
    start: Start | None = None  # a line format's reader begins here (a grown file's new part)
    content: Path | None = None  # the file read, when not `path` itself (a decompressed copy)
    disk_size: int | None = None  # `path`'s size, when `size` is its content's decompressed
    zone: tzinfo = UTC  # where the file's timestamps that name no zone were written

    @property
    def file(self) -> Path:
        """The file the reader reads; problems and events still name `path`."""
        return self.content or self.path

    @property
    def disk_bytes_done(self) -> int:
        """How far along `path` on disk, for progress measured in the files' sizes."""
        if self.disk_size is None or not self.size:
            return self.bytes_done
        return self.bytes_done * self.disk_size // self.size

    def problem(self, location: str, reason: str, raw: bytes = b"") -> None:
        self.problems += 1
        self.on_problem(ReadProblem(str(self.path), self.format, location, reason, raw))

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """The file's lines with their numbers (from `start`, if given), counting each line's
        bytes into `bytes_done`: what every line format's reader walks."""
        with self.file.open("rb") as fh:
            first = 1
            if self.start is not None:
                fh.seek(self.start.offset)
                self.bytes_done = self.start.offset
                first = self.start.lines + 1
            for number, line in enumerate(fh, first):
                self.bytes_done += len(line)
                yield number, line
