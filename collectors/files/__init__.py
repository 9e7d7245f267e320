"""File ingestion: EVTX, JSON/NDJSON, syslog text files and packet captures to ECS events.

`read_events` is what `soc ingest` and `soc hunt` call; the readers reuse the listeners' parsers
so a file gives the same events as the live feed would have.
"""

from collectors.files.detect import FORMATS, detect_format
from collectors.files.reader import LINE_FORMATS, ReadProgress, read_events
from collectors.files.source import ReadProblem, Start, dead_letter_handler

__all__ = [
    "FORMATS",
    "LINE_FORMATS",
    "ReadProblem",
    "ReadProgress",
    "Start",
    "dead_letter_handler",
    "detect_format",
    "read_events",
]
