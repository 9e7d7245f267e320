"""Compiled rules remembered on disk, for the server, `soc rules retro` and `soc hunt`.

Loading and compiling the shipped SigmaHQ rules takes 10-20 s; reading a compilation back takes
milliseconds. An entry is keyed by everything its output depends on: the content of every YAML
file under the rule and pipeline folders (placeholder values included), the source of the
compiler and of what it compiles for (`CODE_FILES`), the caller's own `salt`, and the Python,
pySigma and DuckDB versions. Any change compiles afresh; the newest `KEEP` entries of each kind
are kept. Entries are pickles, so the folder must be as trusted as the code (the platform's
own data folder).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TypeVar

RULE_FILE_SUFFIXES = (".yml", ".yaml")
CODE = Path(__file__).resolve().parents[1]
CODE_FILES = ("rules/*.py", "model/*.py", "storage/*.py", "detection/hunt.py")
"""The code a compilation is the output of: the compiler, the field types and the stores'
layouts, and the hunt's own compilation step (`soc.detection.hunt`)."""
KEEP = 3
"""Entries kept per kind: the current one and a couple to switch back to (~10 MB each)."""

T = TypeVar("T")


def remembered(
    cache_dir: str | Path | None,
    kind: str,
    inputs: Sequence[tuple[str, Sequence[str | Path]]],
    salt: str,
    build: Callable[[], T],
    expected: type[T],
) -> T:
    """`build()`, or the entry of `kind` it gave before for the same `inputs` (groups of rule
    or pipeline paths, by name) and `salt`. None as `cache_dir`: build, remember nothing. A
    damaged entry, or one of another type, is built again."""
    if cache_dir is None:
        return build()
    folder = Path(cache_dir)
    entry = folder / f"{kind}-{_key(inputs, salt)}.pickle"
    if entry.is_file():
        try:
            cached = pickle.loads(entry.read_bytes())  # written below, by this code
        except Exception:  # damaged, or of a shape this code no longer has: build again
            cached = None
        if isinstance(cached, expected):
            return cached
    value = build()
    with contextlib.suppress(OSError, pickle.PicklingError):
        folder.mkdir(parents=True, exist_ok=True)
        partial = entry.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, entry)
        _prune(folder, kind, entry)
    return value


def _prune(folder: Path, kind: str, current: Path) -> None:
    older = sorted(
        (path for path in folder.glob(f"{kind}-*.pickle") if path != current),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    for stale in older[KEEP - 1 :]:
        with contextlib.suppress(OSError):
            stale.unlink()


def _key(inputs: Sequence[tuple[str, Sequence[str | Path]]], salt: str) -> str:
    digest = hashlib.sha256()
    digest.update(
        f"{salt} {sys.version_info[:2]} pysigma {_version('pysigma')} "
        f"duckdb {_version('duckdb')}".encode()  # DuckDB: lower() of literals
    )
    for pattern in CODE_FILES:
        for source in sorted(CODE.glob(pattern)):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    for group, paths in inputs:
        for root in map(Path, paths):
            digest.update(f"{group} {root.resolve()}\0".encode())
            files = [root] if root.is_file() else sorted(root.rglob("*"))
            for path in files:
                if path.suffix.lower() in RULE_FILE_SUFFIXES and path.is_file():
                    digest.update(str(path.relative_to(root) if path != root else "").encode())
                    digest.update(b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"
