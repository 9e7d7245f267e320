"""Evidence archives (zip, tar, tar.gz): every member read as the file it is, named inside the
archive; members that cannot be extracted, broken archives and hostile member names are
problems, never a crash or a file written outside the temporary folder."""

from __future__ import annotations

import bz2
import gzip
import io
import shutil
import subprocess
import tarfile
import zipfile
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from shared_data import SHARED_DATA

from collectors.files import ReadProblem, read_events
from collectors.files.reader import MAX_ARCHIVE_DEPTH

EVTX = (
    SHARED_DATA / "evtx" / "hayabusa-sample-evtx" / "DeepBlueCLI" / "mimikatz-privesc-hashdump.evtx"
)
OPENSSH = SHARED_DATA / "syslog" / "loghub" / "OpenSSH" / "OpenSSH_2k.log"
LINE = b"Mar  5 10:00:01 web01 sshd[411]: Failed password for root from 10.20.7.8 port 22 ssh2\n"


def _same(event: dict) -> dict:
    event = orjson.loads(orjson.dumps(event))
    del event["event"]["id"], event["log"]["file"]
    return event


def _read(path: Path) -> tuple[list[dict], list[ReadProblem]]:
    problems: list[ReadProblem] = []
    return list(read_events([path], on_error=problems.append)), problems


def test_a_zip_of_evidence_reads_every_member_as_its_own_file(tmp_path: Path) -> None:
    archive = tmp_path / "collection.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(EVTX, "C/Windows/System32/winevt/Logs/Security.evtx")
        z.writestr("var/log/", "")  # a folder entry
        z.writestr("var/log/auth.log.1.gz", gzip.compress(LINE))
        z.writestr("README.md", "# How this collection was made")  # documentation: passed over
        z.writestr(".DS_Store", b"\x00\x00")
    events, problems = _read(archive)
    assert problems == []
    by_file: dict[str, list[dict]] = {}
    for event in events:
        by_file.setdefault(event["log"]["file"]["path"], []).append(event)
    evtx_name = f"{archive}!/C/Windows/System32/winevt/Logs/Security.evtx"
    assert set(by_file) == {evtx_name, f"{archive}!/var/log/auth.log.1.gz"}
    assert [_same(e) for e in by_file[evtx_name]] == [_same(e) for e in read_events([EVTX])]
    (ssh,) = by_file[f"{archive}!/var/log/auth.log.1.gz"]
    assert ssh["source"]["ip"] == "10.20.7.8"


def test_a_tar_gz_reads_as_its_members(tmp_path: Path) -> None:
    archive = tmp_path / "logs.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(OPENSSH, "server/auth.log")
        link = tarfile.TarInfo("server/latest")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tar.addfile(link)
    events, problems = _read(archive)
    assert problems == [] and len(events) == 2000
    assert {e["log"]["file"]["path"] for e in events} == {f"{archive}!/server/auth.log"}


def test_hostile_member_names_stay_inside_the_temporary_folder(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../escaped.log", LINE)
        z.writestr("/abs/escaped2.log", LINE)
    events, problems = _read(archive)
    assert problems == [] and len(events) == 2
    # extracted under the members' own names they would land two folders above the temporary
    # folder (in /tmp's parent, /) and in /abs
    assert not Path("/escaped.log").exists() and not Path("/abs").exists()
    assert {e["log"]["file"]["path"] for e in events} == {
        f"{archive}!/../../escaped.log",
        f"{archive}!/abs/escaped2.log",  # zipfile drops the leading slash
    }


def test_an_encrypted_member_is_a_problem_and_the_rest_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "samples.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.log", LINE)
        z.writestr("b.log", LINE)
    data = bytearray(archive.read_bytes())
    # set the "encrypted" flag of the first member, in its local and central headers
    data[6] |= 1
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 1
    archive.write_bytes(bytes(data))
    events, problems = _read(archive)
    assert [e["log"]["file"]["path"] for e in events] == [f"{archive}!/b.log"]
    (problem,) = problems
    assert problem.path == f"{archive}!/a.log"
    assert problem.reason == "cannot be extracted: encrypted, and no password was given"


def test_a_broken_archive_is_a_problem(tmp_path: Path) -> None:
    archive = tmp_path / "cut.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.log", LINE * 100)
    archive.write_bytes(archive.read_bytes()[:60])  # the central directory is gone
    events, problems = _read(archive)
    assert events == []
    assert [p.reason.split(":")[0] for p in problems] == ["not a readable zip archive"]


def test_archives_nested_too_deep_stop(tmp_path: Path) -> None:
    inner = LINE
    name = "auth.log"
    for depth in range(MAX_ARCHIVE_DEPTH + 1):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr(name, inner)
        inner, name = buffer.getvalue(), f"level{depth}.zip"
    archive = tmp_path / name
    archive.write_bytes(inner)
    events, problems = _read(archive)
    assert events == []
    (problem,) = problems
    assert problem.reason == "a zip archive nested too deep"


def test_a_bomb_member_stops_at_the_archives_budget_after_the_members_before_it(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "collection.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("auth.log", LINE)
        # 80 MiB of zeros in ~4 KB: bzip2 inside the zip; its ratio passes any real log's
        z.writestr("zeros.log.bz2", bz2.compress(bytes(1 << 20)) * 80)
    events, problems = _read(archive)
    assert [e["log"]["file"]["path"] for e in events] == [f"{archive}!/auth.log"]
    bombed, unknown = problems
    assert bombed.path == f"{archive}!/zeros.log.bz2"
    assert bombed.reason.startswith("unpacks to more than 64.0 MB (1,000 times its size)")
    assert unknown.reason == "binary content that is not EVTX, pcap, JSON or text"


ZIP = shutil.which("zip")


@pytest.mark.skipif(ZIP is None, reason="needs Info-ZIP's zip (Debian package zip)")
def test_a_zip_locked_with_a_password_reads_with_it(tmp_path: Path) -> None:
    (tmp_path / "auth.log").write_bytes(LINE)
    archive = tmp_path / "sample.zip"
    subprocess.run([ZIP, "-q", "-P", "infected", str(archive), "auth.log"], cwd=tmp_path,
                   check=True)  # fmt: skip
    problems: list[ReadProblem] = []
    events = list(read_events([archive], on_error=problems.append, passwords=["x", "infected"]))
    assert problems == []
    (event,) = events
    assert event["source"]["ip"] == "10.20.7.8"
    assert event["log"]["file"]["path"] == f"{archive}!/auth.log"

    _, without = _read(archive)
    assert [p.reason for p in without] == [
        "cannot be extracted: encrypted, and no password was given"
    ]
    wrong: list[ReadProblem] = []
    assert list(read_events([archive], on_error=wrong.append, passwords=["nope"])) == []
    (problem,) = wrong
    # zip's password check is one byte: a wrong password passes it once in 256, then reading
    # fails on what it decrypts (a bad CRC, or deflate refusing the data: zlib's "Error -3");
    # either way the member is a problem, never garbage events
    assert problem.reason == (
        "cannot be extracted: encrypted, and none of the 1 passwords given opens it"
    ) or problem.reason.startswith(
        (
            "cannot be extracted: Bad CRC-32 for file 'auth.log'",
            "cannot be extracted: Error -3 while decompressing data",
        )
    )


def test_a_corrupt_lzma_member_is_a_problem_and_the_rest_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "lzma.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_LZMA) as z:
        z.writestr("a.log", LINE * 50)
        z.writestr("b.log", LINE)
    data = bytearray(archive.read_bytes())
    data[60] ^= 0xFF  # inside a.log's LZMA data: lzma's own error, not zipfile's
    archive.write_bytes(bytes(data))
    events, problems = _read(archive)
    assert [e["log"]["file"]["path"] for e in events] == [f"{archive}!/b.log"]
    (problem,) = problems
    assert problem.path == f"{archive}!/a.log"
    assert problem.reason.startswith("cannot be extracted: ")


def test_a_member_dated_month_zero_takes_the_archives_time(tmp_path: Path) -> None:
    archive = tmp_path / "dated.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(zipfile.ZipInfo("auth.log", date_time=(2026, 3, 5, 10, 0, 0)), LINE)
    data = archive.read_bytes()
    stamp = (2026 - 1980) << 9 | 3 << 5 | 5  # the DOS date written above, in both headers
    impossible = (2026 - 1980) << 9 | 0 << 5 | 5  # month 0
    data = data.replace(stamp.to_bytes(2, "little"), impossible.to_bytes(2, "little"))
    archive.write_bytes(data)
    events, problems = _read(archive)
    assert problems == []
    (event,) = events
    assert event["source"]["ip"] == "10.20.7.8"
    assert event["@timestamp"].startswith(f"{datetime.fromtimestamp(archive.stat().st_mtime).year}")
