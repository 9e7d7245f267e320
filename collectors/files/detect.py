"""Which reader a file needs: by its first bytes, then by its name.

Exports arrive renamed (`security.log` that is really EVTX, `.txt` NDJSON), so content decides
and the extension only breaks ties (an empty file). A binary file that is none of the known
formats is refused rather than read as text, which would turn it into junk events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path, PurePath

import orjson

from collectors.files.evtx_layout import FILE_MAGIC as EVTX_MAGIC
from collectors.files.w3c_reader import is_w3c
from collectors.files.zeek_tsv import HEADER as ZEEK_TSV_HEADER

FORMATS = ("evtx", "json", "ndjson", "syslog", "pcap", "zeek", "w3c")

_PCAP_MAGICS = (
    b"\xa1\xb2\xc3\xd4",  # pcap, big-endian, microseconds
    b"\xd4\xc3\xb2\xa1",  # pcap, little-endian, microseconds
    b"\xa1\xb2\x3c\x4d",  # pcap, nanoseconds
    b"\x4d\x3c\xb2\xa1",
    b"\x0a\x0d\x0d\x0a",  # pcapng section header block
)
_BY_EXTENSION = {
    ".evtx": "evtx",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".pcap": "pcap",
    ".pcapng": "pcap",
    ".cap": "pcap",
}
_DOC_SUFFIXES = frozenset({".md", ".rst", ".pdf", ".html", ".htm"})
_DOC_NAMES = frozenset({"README", "LICENSE", "LICENCE", "COPYING", "NOTICE", "CITATION"})
_HEAD_BYTES = 4096
_MAX_FIRST_LINE = 64 << 20
_BOM = b"\xef\xbb\xbf"


class UnknownFormat(ValueError):
    """The file's content matches no reader."""


def detect_format(path: Path) -> str:
    """One of FORMATS for the file; raises UnknownFormat for binary data we cannot read."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
        if head.startswith(EVTX_MAGIC):
            return "evtx"
        if head[:4] in _PCAP_MAGICS:
            return "pcap"
        text = head.removeprefix(_BOM).lstrip()
        if not text:
            return _BY_EXTENSION.get(path.suffix.lower(), "syslog")
        if text.startswith(b"{"):
            fh.seek(len(head) - len(text))
            return "ndjson" if _is_json(fh.readline(_MAX_FIRST_LINE)) else "json"
        if text.startswith(b"[") and text[1:].lstrip()[:1] in (b"{", b"[", b"]", b""):
            return "json"  # an array of events (Apache's error log also opens with "[")
        if text.startswith(ZEEK_TSV_HEADER):
            return "zeek"  # Zeek's default tab-separated logs
        if text[:1] in b"#0123456789" and is_w3c(text):
            return "w3c"  # IIS
    # FortiGate and other TCP syslog senders end each line with NUL (RFC 6587's other trailer)
    if b"\x00" in head.replace(b"\x00\n", b"").removesuffix(b"\x00"):
        raise UnknownFormat("binary content that is not EVTX, pcap, JSON or text")
    return "syslog"


def walk(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and the log files under folders named (recursively, sorted).

    In folders (and archives), hidden files and the documentation that travels with exported
    logs and sample sets (README, LICENSE, `*.md`) are skipped: read as text they would become
    junk events. A file named explicitly is always read. A path that does not exist is yielded
    too, so the caller reports it: a mistyped path must not quietly mean "nothing to read".
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not passed_over(child.relative_to(path)):
                    yield child
        else:
            yield path


def passed_over(relative: PurePath) -> bool:
    """Whether a file at this place in a folder (or archive) is not read: hidden, or the
    documentation that travels with exported logs."""
    hidden = any(part.startswith(".") and part not in (".", "..") for part in relative.parts)
    return hidden or relative.suffix.lower() in _DOC_SUFFIXES or relative.stem.upper() in _DOC_NAMES


def _is_json(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True
