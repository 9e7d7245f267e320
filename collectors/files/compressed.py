"""Compressed logs and exports (`auth.log.2.gz` as logrotate leaves it, `flows.pcap.xz`,
`Security.evtx.bz2`): gzip, bzip2 and xz, told by their magic bytes, not their names.

Each is decompressed into a temporary file and read from there like any other file: the EVTX
and pcap readers seek, and one path for every format keeps the readers unaware of compression.
A file cut short or corrupted partway (a rotated log copied while it was written) still gives
what came out of it before the damage, and the damage is reported.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_CHUNK = 64 << 10  # what a broken stream can cost is the chunk being decompressed
_Opener = Callable[[Path, str], IO[bytes]]
_KINDS: tuple[tuple[str, bytes, _Opener, str], ...] = (
    ("gzip", b"\x1f\x8b", gzip.GzipFile, ".gz"),
    ("bzip2", b"BZh", bz2.BZ2File, ".bz2"),
    ("xz", b"\xfd7zXZ\x00", lzma.LZMAFile, ".xz"),
)
_BROKEN = (EOFError, OSError, lzma.LZMAError, zlib.error)


@dataclass(frozen=True)
class Decompressed:
    """The decompressed copy of a file, and why it stops short, if it does."""

    path: Path
    problem: str | None


@contextmanager
def decompressed(path: Path) -> Iterator[Decompressed | None]:
    """For the block, a decompressed copy of `path` (named as the file inside it: `auth.log`
    for `auth.log.2.gz`, so names still hint at formats), or None when `path` is not
    compressed. Raises OSError when `path` cannot be opened."""
    with path.open("rb") as fh:
        head = fh.read(6)
    kind = next((k for k in _KINDS if head.startswith(k[1])), None)
    if kind is None or (kind[0] == "bzip2" and not head[3:4].isdigit()):
        yield None
        return
    name, _, opener, suffix = kind
    inner = path.name.removesuffix(suffix) if path.name.endswith(suffix) else path.name
    with tempfile.TemporaryDirectory(prefix="soc-decompressed-") as folder:
        copy = Path(folder) / (inner or "decompressed")
        problem = None
        with opener(path, "rb") as source, copy.open("wb") as target:
            while True:
                try:
                    chunk = source.read(_CHUNK)
                except _BROKEN as exc:
                    problem = f"{name} data cut short or corrupt ({exc}); read what came before"
                    break
                if not chunk:
                    break
                target.write(chunk)
        written = path.stat()  # a BSD syslog line's year comes from when its file was written
        os.utime(copy, ns=(written.st_atime_ns, written.st_mtime_ns))
        yield Decompressed(copy, problem)
