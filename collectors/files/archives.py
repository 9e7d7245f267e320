"""Evidence archives: `.zip` (as collection tools such as KAPE and Velociraptor and mail deliver
them) and `.tar` (also `.tar.gz`, `.tgz`, `.tar.xz` once `compressed` has undone the outer
layer), told by their magic bytes. Each member is read as a file of its own, named
`<archive>!/<member>` in events and problems.

Members are extracted one at a time into a temporary folder under a name of our choosing, never
the member's own path, so an archive cannot write outside it (`../../etc/cron.d/x`); links,
devices and folders are passed over. A member that cannot be extracted (corrupt, or encrypted
and no password given opens it) is a problem and the next member is read. Passwords are tried
in turn on each encrypted zip member: samples of malware travel in zips locked with `infected`.
The standard library decrypts the traditional PKWARE scheme, not AES (WinZip, 7-Zip's zip
AES): such a member's problem says its method is not supported.
"""

from __future__ import annotations

import lzma
import os
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO

from collectors.files.expansion import Expansion, copy

_TAR_MAGIC_OFFSET = 257
_ENCRYPTED = 0x1  # general purpose bit 0
ARCHIVE_ERRORS = (
    OSError, EOFError, RuntimeError, zipfile.BadZipFile, tarfile.TarError, zlib.error,
    lzma.LZMAError,
)  # fmt: skip
"""What a broken or encrypted archive raises from the standard library's readers (a corrupt
member: its method's error; zip's LZMA members raise lzma's, bzip2 ones OSError)."""


class Locked(RuntimeError):
    """An encrypted zip member that none of the passwords given opens."""


@dataclass(frozen=True)
class Member:
    """One member: its name in the archive and, when it could be extracted, its copy (else
    why not, and whether a password would have opened it)."""

    name: str
    path: Path | None
    problem: str | None = None  # with a path: the copy stops short, read what it holds
    locked: bool = False


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
def members(
    path: Path, kind: str, expansion: Expansion, passwords: Sequence[bytes] = ()
) -> Iterator[Iterator[Member]]:
    """The archive's regular files in order, each extracted when reached (no further than
    `expansion` allows) and deleted once the next is asked for. An archive that cannot be
    opened is one member without a name, whose problem says why."""
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
                moment = path.stat().st_mtime
                yield _zip_members(archive, Path(folder), expansion, passwords, moment)
            else:
                yield _tar_members(archive, Path(folder), expansion)


def _zip_members(
    archive: zipfile.ZipFile,
    folder: Path,
    expansion: Expansion,
    passwords: Sequence[bytes],
    written: float,
) -> Iterator[Member]:
    """`written`: the archive's own time, for a member whose DOS date is no date (month 0)."""
    for number, info in enumerate(archive.infolist()):
        if not info.is_dir():
            try:
                moment = datetime(*info.date_time, tzinfo=UTC).timestamp()
            except ValueError:
                moment = written
            target = _target(folder, number, info.filename)
            opener = partial(_open_zip_member, archive, info, passwords)
            yield from _extracted(info.filename, target, opener, moment, expansion)


def _open_zip_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, passwords: Sequence[bytes]
) -> IO[bytes]:
    """The member's stream, decrypted with the first password that opens it. A wrong password
    passes zip's one-byte check once in 256 tries; its data then fails the CRC on reading."""
    if not info.flag_bits & _ENCRYPTED:
        return archive.open(info)
    if not passwords:
        raise Locked("encrypted, and no password was given")
    for password in passwords:
        try:
            return archive.open(info, pwd=password)
        except RuntimeError as exc:
            if "password" not in str(exc).lower():  # AES: method not supported, say so
                raise
    raise Locked(f"encrypted, and none of the {len(passwords)} passwords given opens it")


def _tar_members(archive: tarfile.TarFile, folder: Path, expansion: Expansion) -> Iterator[Member]:
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
            yield from _extracted(info.name, target, opener, info.mtime, expansion)


def _extracted(
    name: str,
    target: Path,
    opener: Callable[[], IO[bytes] | None],
    moment: float,
    expansion: Expansion,
) -> Iterator[Member]:
    """The member copied to `target` (deleted again once the reader is done with it), or the
    reason it could not be."""
    try:
        source = opener()
        if source is None:
            return
        with source, target.open("wb") as out:
            refusal = copy(source, out, expansion)
        _written(target, moment)
    except ARCHIVE_ERRORS as exc:
        target.unlink(missing_ok=True)
        yield Member(name, None, f"cannot be extracted: {exc}", locked=isinstance(exc, Locked))
        return
    yield Member(name, target, refusal)
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
