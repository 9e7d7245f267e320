"""Linux audit records (samples/auditd.log) to Filebeat's auditd shape, read as a file, as
audisp's syslog plugin sends them and as the kernel logs them through journald."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.files import read_events
from collectors.parsers.dispatch import parse_message
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return list(read_events([SAMPLES / "auditd.log"]))


def test_every_record_is_one_event_at_its_own_time(records: list[dict]) -> None:
    assert len(records) == 8
    assert {e["event"]["dataset"] for e in records} == {"auditd.log"}
    assert [e["auditd"]["log"]["record_type"] for e in records] == [
        "SYSCALL", "EXECVE", "PROCTITLE", "SYSCALL", "SYSCALL", "EXECVE", "PATH", "USER_LOGIN",
    ]  # fmt: skip
    assert records[0]["@timestamp"] == "2024-06-10T02:14:05.120Z"
    assert (
        records[0]["auditd"]["log"]["sequence"] == 2201 == records[1]["auditd"]["log"]["sequence"]
    )


def test_syscall_records_give_the_process_user_and_outcome(records: list[dict]) -> None:
    sysctl = records[0]
    assert sysctl["process"] == {
        "pid": 1502,
        "parent": {"pid": 1450},
        "executable": "/usr/sbin/sysctl",
        "name": "sysctl",
    }
    assert sysctl["user"] == {"id": "0", "audit": {"id": "1001"}}
    assert sysctl["event"]["outcome"] == "success"
    log = sysctl["auditd"]["log"]
    assert (log["syscall"], log["a0"], log["key"]) == ("59", "5581a7c0", "exec")  # registers stay
    assert records[4]["event"]["outcome"] == "failure"


def test_hex_strings_are_decoded_where_they_are_text(records: list[dict]) -> None:
    assert records[2]["auditd"]["log"]["proctitle"] == "sysctl -w kernel.randomize_va_space=0"
    assert records[4]["auditd"]["log"]["key"] == "network_connect_4"
    keys = parse_message(  # several keys: hex, joined by 0x01
        'type=SYSCALL msg=audit(1717985800.300:2302): syscall=42 success=no comm="nc" '
        "key=6E6574776F726B5F636F6E6E6563745F340165787465726E616C"
    )
    assert keys is not None and keys["auditd"]["log"]["key"] == "network_connect_4,external"
    assert records[5]["auditd"]["log"]["a1"] == "/tmp/my issue copy"
    assert records[3]["auditd"]["log"]["a0"] == "40000"  # a SYSCALL's argument is a register
    assert records[3]["auditd"]["log"]["key"] == "(null)"


def test_enriched_fields_after_the_separator_are_kept(records: list[dict]) -> None:
    log = records[3]["auditd"]["log"]
    assert (log["syscall"], log["SYSCALL"], log["ARCH"]) == ("135", "personality", "x86_64")
    assert (log["AUID"], log["UID"]) == ("tran.van.b", "tran.van.b")


def test_a_userspace_record_reads_its_inner_message(records: list[dict]) -> None:
    login = records[7]
    log = login["auditd"]["log"]
    assert (log["op"], log["acct"], log["addr"], log["res"]) == (
        "login",
        "root",
        "203.0.113.45",
        "failed",
    )
    assert login["event"]["outcome"] == "failure"
    # the account the login was for, and where from; no login id: auid is (uid_t)-1
    assert login["user"] == {"id": "0", "name": "root"}
    assert login["source"] == {"ip": "203.0.113.45"}


def test_audisp_syslog_and_kernel_forwarding() -> None:
    received = datetime(2024, 6, 10, 3, tzinfo=UTC)
    audisp = to_ecs(
        parse_syslog(
            b"<14>Jun 10 09:14:05 web01 audisp-syslog: node=web01 type=EXECVE "
            b'msg=audit(1717985645.120:2201): argc=2 a0="sysctl" a1="-w"',
            received=received,
        ),
        peer_ip="10.20.1.5",
    )
    assert audisp["event"]["dataset"] == "auditd.log"
    assert audisp["@timestamp"] == "2024-06-10T02:14:05.120Z"  # the record's, not the header's
    assert audisp["auditd"]["log"]["a1"] == "-w"
    kernel = parse_message(
        'audit: type=1400 audit(1717985646.250:88): apparmor="DENIED" operation="open" '
        'profile="/usr/sbin/named" name="/etc/passwd" pid=777 comm="named"',
        program="kernel",
    )
    assert kernel is not None
    assert kernel["auditd"]["log"]["record_type"] == "AVC"
    assert kernel["auditd"]["log"]["name"] == "/etc/passwd"
    netfilter = parse_message(
        "IN=eth0 OUT= SRC=203.0.113.9 DST=10.20.1.5 LEN=60 PROTO=TCP SPT=4444 DPT=22",
        program="kernel",
    )
    assert netfilter is not None and netfilter["event"]["dataset"] == "iptables.log"


def test_lines_that_only_look_like_audit_records_are_not_claimed() -> None:
    assert parse_message("type=SYSCALL but no record follows") is None
    assert parse_message("audit(123) type=x", program="audispd") is None


def test_the_record_type_is_the_action(records: list[dict]) -> None:
    assert [e["event"]["action"] for e in records] == [
        "syscall", "execve", "proctitle", "syscall", "syscall", "execve", "path", "user_login",
    ]  # fmt: skip


def test_execve_arguments_are_the_process_args(records: list[dict]) -> None:
    assert records[1]["process"]["args"] == ["sysctl", "-w", "kernel.randomize_va_space=0"]
    assert records[5]["process"]["args"] == ["cat", "/tmp/my issue copy"]  # hex decoded
    assert "args" not in records[0].get("process", {})  # a SYSCALL's a0..a3 are registers
    # filebeat/module/auditd/log/test/execve-hex-arg.log, elastic/beats, Apache-2.0
    quoted = parse_message(
        'type=EXECVE msg=audit(1669615313.901:5538): argc=3 a0="sh" a1="-c" '
        "a2=6563686F205C226172672068657820656E636F6465645C22"
    )
    assert quoted is not None
    assert quoted["process"]["args"] == ["sh", "-c", 'echo \\"arg hex encoded\\"']


def test_long_and_split_execve_arguments() -> None:
    """An argument too long for one field comes in pieces; a command line too long for one
    record continues in records without `argc`, so only the arguments present are given."""
    pieces = parse_message(
        'type=EXECVE msg=audit(1717986100.100:2500): argc=2 a0="python3" a1_len=12 '
        'a1[0]="-c import" a1[1]=" os"'
    )
    assert pieces is not None and pieces["process"]["args"] == ["python3", "-c import os"]
    first = parse_message('type=EXECVE msg=audit(1717986100.200:2501): argc=4 a0="tar" a1="-czf"')
    assert first is not None and first["process"]["args"] == ["tar", "-czf"]


def test_journald_audit_transport() -> None:
    """journald hands audit records on under the tag `audit[pid]`, as the type's name and the
    fields, without `type=` and `audit(time:serial)`: the header gives the time."""
    received = datetime(2024, 6, 10, 3, tzinfo=UTC)
    login = to_ecs(
        parse_syslog(
            b"<38>Jun 10 09:20:00 web01 audit[2002]: USER_LOGIN pid=2002 uid=0 "
            b'auid=4294967295 ses=4294967295 msg=\'op=login acct="admin" exe="/usr/sbin/sshd" '
            b"hostname=? addr=203.0.113.45 terminal=sshd res=failed'",
            received=received,
        ),
        peer_ip="10.20.1.5",
    )
    assert login["event"]["dataset"] == "auditd.log"
    assert login["event"]["action"] == "user_login"
    assert login["event"]["outcome"] == "failure"
    assert login["auditd"]["log"]["record_type"] == "USER_LOGIN"
    assert "sequence" not in login["auditd"]["log"]
    assert (login["user"]["name"], login["source"]["ip"]) == ("admin", "203.0.113.45")
    assert login["@timestamp"] == "2024-06-10T09:20:00.000Z"
    bpf = parse_message("BPF prog-id=71 op=LOAD", program="audit")
    assert bpf is not None and bpf["auditd"]["log"]["prog-id"] == "71"
    assert parse_message("backlog limit exceeded", program="audit") is None
