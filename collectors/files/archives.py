"""Evidence archives: `.zip` (as collection tools such as KAPE and Velociraptor and mail deliver
them) and `.tar` (also `.tar.gz`, `.tgz`, `.tar.xz` once `compressed` has undone the outer
layer), told by their magic bytes. Each member is read as a file of its own, named
`<archive>!/<member>` in events and problems.

Members are extracted one at a time into a temporary folder under a name of our choosing, never
the member's own path, so an archive cannot write outside it (`../../etc/cron.d/x`); links,
devices and folders are passed over. A member that cannot be extracted (encrypted, corrupt) is
a problem and the next member is read.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO

_TAR_MAGIC_OFFSET = 257
ARCHIVE_ERRORS = (
    OSError, EOFError, RuntimeError, zipfile.BadZipFile, tarfile.TarError, zlib.error,
)  # fmt: skip
"""What a broken or encrypted archive raises from the standard library's readers."""


@dataclass(frozen=True)
class Member:
    """One member: its name in the archive and, when it could be extracted, its copy (else
    why not)."""

    name: str
    path: Path | None
    problem: str | None = None


def archive_kind(path: Path) -> str | None:
    """ "zip", "tar", or None for any other file."""
    with path.open("rb") as fh:
        head = fh.read(_TAR_MAGIC_OFFSET + 8)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head[_TAR_MAGIC_OFFSET : _TAR_MAGIC_OFFSET + 5] == b"ustar":
        return "tar"
    return None


@contextmanager
def members(path: Path, kind: str) -> Iterator[Iterator[Member]]:
    """The archive's regular files in order, each extracted when reached and deleted once the
    next is asked for. An archive that cannot be opened is one member without a name, whose
    problem says why."""
    with tempfile.TemporaryDirectory(prefix="soc-archive-") as folder:
        try:
            archive: zipfile.ZipFile | tarfile.TarFile = (  # closed by the `with` below
                zipfile.ZipFile(path) if kind == "zip" else tarfile.open(path)  # noqa: SIM115
            )
        except ARCHIVE_ERRORS as exc:
            yield iter([Member("", None, f"not a readable {kind} archive: {exc}")])
            return
        with archive:
            if isinstance(archive, zipfile.ZipFile):
                yield _zip_members(archive, Path(folder))
            else:
                yield _tar_members(archive, Path(folder))


def _zip_members(archive: zipfile.ZipFile, folder: Path) -> Iterator[Member]:
    for number, info in enumerate(archive.infolist()):
        if not info.is_dir():
            moment = datetime(*info.date_time, tzinfo=UTC).timestamp()
            target = _target(folder, number, info.filename)
            yield from _extracted(info.filename, target, partial(archive.open, info), moment)


def _tar_members(archive: tarfile.TarFile, folder: Path) -> Iterator[Member]:
    number = 0
    while True:
        try:
            info = archive.next()
        except ARCHIVE_ERRORS as exc:
            yield Member(f"member {number + 1}", None, f"the archive cannot be read on: {exc}")
            return
        if info is None:
            return
        number += 1
        if info.isfile():
            target = _target(folder, number, info.name)
            opener = partial(archive.extractfile, info)
            yield from _extracted(info.name, target, opener, info.mtime)


def _extracted(
    name: str, target: Path, opener: Callable[[], IO[bytes] | None], moment: float
) -> Iterator[Member]:
    """The member copied to `target` (deleted again once the reader is done with it), or the
    reason it could not be."""
    try:
        source = opener()
        if source is None:
            return
        with source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy)
        _written(target, moment)
    except ARCHIVE_ERRORS as exc:
        target.unlink(missing_ok=True)
        yield Member(name, None, f"cannot be extracted: {exc}")
        return
    yield Member(name, target)
    target.unlink(missing_ok=True)


def _written(copy: Path, moment: float) -> None:
    """Give the copy the member's own time: a BSD syslog line's year comes from when its file
    was last written (zip keeps a zoneless local time, read here as UTC)."""
    os.utime(copy, (moment, moment))


def _target(folder: Path, number: int, name: str) -> Path:
    """A file in `folder` named after the member's last part (names hint at formats), behind
    its number so that two members never share a copy."""
    base = PurePosixPath(name.replace("\\", "/")).name or "member"
    return folder / f"{number:06d}-{base[-200:]}"
