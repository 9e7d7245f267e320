"""Real log files (loghub): every line's header read as loghub's ground truth has it."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest
from shared_data import SHARED_DATA

from collectors.syslog.header import parse_syslog

LOGHUB = SHARED_DATA / "syslog/loghub"
RECEIVED = datetime(2024, 3, 5, tzinfo=UTC)


def ground_truth(name: str) -> list[tuple[bytes, dict[str, str]]]:
    folder = LOGHUB / name
    lines = (folder / f"{name}_2k.log").read_bytes().splitlines()
    with (folder / f"{name}_2k.log_structured.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(lines) == len(rows) == 2000
    return list(zip(lines, rows, strict=True))


# loghub names the columns differently per data set (and calls Linux's host column `Level`).
COLUMNS = {
    "OpenSSH": {"month": "Date", "day": "Day", "host": "Component", "pid": "Pid"},
    "Linux": {"month": "Month", "day": "Date", "host": "Level", "pid": "PID"},
}


@pytest.mark.parametrize("name", COLUMNS)
def test_header_fields_match_ground_truth(name: str) -> None:
    columns = COLUMNS[name]
    checked = 0
    for raw, row in ground_truth(name):
        msg = parse_syslog(raw, received=RECEIVED)
        where = f"{name} line {row['LineId']}"
        assert msg.hostname == row[columns["host"]], where
        assert msg.timestamp is not None, where
        assert msg.timestamp.strftime("%b") == row[columns["month"]], where
        assert msg.timestamp.day == int(row[columns["day"]]), where
        assert msg.timestamp.strftime("%H:%M:%S") == row["Time"], where
        program = row.get("Component") if name == "Linux" else "sshd"
        if program and " " in program:
            # `syslogd 1.4.1: restart.`: a tag with a space is not an RFC 3164 tag; the text
            # stays whole in the message instead.
            assert msg.appname is None and msg.message.endswith(row["Content"].strip()), where
            continue
        assert msg.appname == program, where
        assert (msg.procid or "") == row[columns["pid"]], where
        assert msg.message.strip() == row["Content"].strip(), where
        checked += 1
    assert checked >= 1990


def test_apache_error_log_lines_are_kept_whole() -> None:
    for raw in (LOGHUB / "Apache" / "Apache_2k.log").read_bytes().splitlines():
        msg = parse_syslog(raw, received=RECEIVED)
        assert msg.message == raw.decode().strip()
