"""How much unpacking one file named to `soc ingest` / `soc hunt` may write to disk.

Compressed files and archive members are read from decompressed copies in the temporary folder
(`$TMPDIR`). A decompression bomb (42.zip, an overlapping-member zip, a gigabyte of zeros in a
few kilobytes of xz) would fill that disk and stop everything else on the machine. Two limits
bound the copies, counted over every layer of one file (a gzip inside a zip inside a tar):

- the bytes written may not pass `MAX_RATIO` times the file's own size (at least `FLOOR`):
  logs and EVTX compress 5-50x, rarely 100x, while a deflate stream alone reaches ~1,000x
  and bombs much more by nesting or overlapping members;
- the temporary folder keeps `RESERVE` free (a twentieth of its disk if that is smaller).

Past a limit the copy stops where it is: what came out before is read, as for a cut-off
stream, and the problem says why the rest was not.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from typing import IO

MAX_RATIO = 1_000
FLOOR = 64 << 20
RESERVE = 1 << 30
_DISK_CHECK_EVERY = 16 << 20  # statvfs per this many bytes written: cheap, and soon enough


@dataclass
class Expansion:
    """The bytes one file's unpacking has written, against what it may write."""

    limit: int
    written: int = 0
    _disk_checked_at: int = -_DISK_CHECK_EVERY

    @classmethod
    def of(cls, size: int) -> Expansion:
        """The budget of a file of `size` bytes on disk."""
        return cls(limit=max(FLOOR, size * MAX_RATIO))

    def refusal(self, count: int) -> str | None:
        """None when `count` more bytes may be written (and counts them); else why not."""
        written = self.written + count
        if written > self.limit:
            return (
                f"unpacks to more than {_size(self.limit)} ({MAX_RATIO:,} times its size): "
                f"a decompression bomb? read the first {_size(self.written)}"
            )
        if written - self._disk_checked_at >= _DISK_CHECK_EVERY:
            folder = tempfile.gettempdir()
            disk = shutil.disk_usage(folder)
            if disk.free - count < min(RESERVE, disk.total // 20):
                return (
                    f"unpacking it would fill the temporary folder {folder} ({_size(disk.free)} "
                    f"free; set TMPDIR to a larger disk); read the first {_size(self.written)}"
                )
            self._disk_checked_at = written
        self.written = written
        return None


def _size(count: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}"
    return f"{count} bytes"


CHUNK = 64 << 10
"""What a broken stream can cost is the chunk being decompressed."""


def copy(source: IO[bytes], target: IO[bytes], expansion: Expansion) -> str | None:
    """`source` into `target` until its end, or until `expansion` refuses (then the reason);
    whatever `source.read` raises (a corrupt stream) is the caller's to judge."""
    while chunk := source.read(CHUNK):
        if refusal := expansion.refusal(len(chunk)):
            return refusal
        target.write(chunk)
    return None
