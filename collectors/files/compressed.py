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

from collectors.files.expansion import Expansion, copy

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
def decompressed(path: Path, expansion: Expansion) -> Iterator[Decompressed | None]:
    """For the block, a decompressed copy of `path` (named as the file inside it: `auth.log`
    for `auth.log.2.gz`, so names still hint at formats), or None when `path` is not
    compressed; the copy stops where `expansion` says. Raises OSError when `path` cannot be
    opened."""
    with path.open("rb") as fh:
        head = fh.read(6)
    kind = next((k for k in _KINDS if head.startswith(k[1])), None)
    if kind is None or (kind[0] == "bzip2" and not head[3:4].isdigit()):
        yield None
        return
    name, _, opener, suffix = kind
    inner = path.name.removesuffix(suffix) if path.name.endswith(suffix) else path.name
    with tempfile.TemporaryDirectory(prefix="soc-decompressed-") as folder:
        unpacked = Path(folder) / (inner or "decompressed")
        with opener(path, "rb") as source, unpacked.open("wb") as target:
            try:
                problem = copy(source, target, expansion)
            except _BROKEN as exc:
                problem = f"{name} data cut short or corrupt ({exc}); read what came before"
        written = path.stat()  # a BSD syslog line's year comes from when its file was written
        os.utime(unpacked, ns=(written.st_atime_ns, written.st_mtime_ns))
        yield Decompressed(unpacked, problem)
