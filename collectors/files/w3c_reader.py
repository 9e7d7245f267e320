"""W3C extended log files (IIS): each `#Fields:` directive says the columns of the rows below it.

Read as syslog lines, a W3C file loses its columns: its directives become junk events, any row
whose fields are not IIS's default set is not recognised, and the row's leading date is taken for
a syslog header. `W3CReader` (`collectors.parsers.iis`) follows the directives instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectors.files.source import SourceFile
from collectors.parsers import iis
from soc.model.event import Event


def is_w3c(head: bytes) -> bool:
    """Whether a file's first bytes are a W3C log: a `#Fields:` directive among its opening
    directives, or (a file without them, as some exporters cut) a first row in IIS's default
    columns."""
    if head.startswith(b"#"):
        return head.startswith(b"#Fields:") or b"\n#Fields:" in head
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return iis.parse(first) is not None


def read_w3c(source: SourceFile) -> Iterator[Event]:
    reader = iis.W3CReader()
    for number, line in source.lines():
        text = line.decode("utf-8", errors="replace").strip()
        if not text:
            continue
        doc = reader.parse_line(text)
        if doc is not None:
            yield doc
        elif not text.startswith("#"):
            source.problem(f"line {number}", f"not a row of the {len(reader.fields)} #Fields", line)
