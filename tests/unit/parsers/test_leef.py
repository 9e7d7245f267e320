"""LEEF 1.0 and 2.0 to ECS: IBM's examples, vendors' documented lines, separators, devTime
formats, truncated and hostile input, and LEEF behind a syslog header."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from syslog_event import syslog_event as ecs

from collectors.parsers import leef, parse_message


def test_leef_1_example_from_ibm() -> None:
    # IBM QRadar DSM Guide, "LEEF event components": header and attribute examples.
    line = (
        "LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\t"
        "cat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black"
    )
    doc = leef.parse(line)
    assert doc is not None
    assert doc["event"] == {"module": "leef", "dataset": "leef.log", "original": line,
                            "code": "15345", "severity": 5}  # fmt: skip
    assert doc["observer"] == {"vendor": "Microsoft", "product": "MSExchange", "version": "4.0 SP1"}
    assert doc["source"] == {"ip": "192.0.2.0", "port": 81}
    assert doc["destination"] == {"ip": "172.50.123.1", "port": 21}
    assert doc["user"] == {"name": "joe.black"}
    assert doc["leef"] == {
        "version": "1.0",
        "device": {"vendor": "Microsoft", "product": "MSExchange", "version": "4.0 SP1",
                   "event_id": "15345"},
        "attributes": {"src": "192.0.2.0", "dst": "172.50.123.1", "sev": 5, "cat": "anomaly",
                       "srcPort": 81, "dstPort": 21, "usrName": "joe.black"},
    }  # fmt: skip


@pytest.mark.parametrize("delimiter", ["^", "x5E", "0x5e", "X5E"])
def test_leef_2_names_its_separator(delimiter: str) -> None:
    # IBM QRadar DSM Guide, "LEEF event components": `LEEF:2.0|Lancope|StealthWatch|1.0|41|^|`.
    doc = leef.parse(
        f"LEEF:2.0|Lancope|StealthWatch|1.0|41|{delimiter}|src=10.0.1.8^dst=10.0.0.5^sev=5^"
        "srcPort=81^dstPort=21^proto=TCP^srcBytes=100^dstBytes=2000^srcMAC=00:0c:29:aa:bb:cc"
    )
    assert doc is not None
    assert doc["source"] == {"ip": "10.0.1.8", "port": 81, "bytes": 100, "mac": "00-0C-29-AA-BB-CC"}
    assert doc["destination"] == {"ip": "10.0.0.5", "port": 21, "bytes": 2000}
    assert doc["network"] == {"transport": "tcp"}
    assert doc["leef"]["device"]["event_id"] == "41"


def test_leef_2_tab_by_hex_and_by_default() -> None:
    for header in ("LEEF:2.0|V|P|1|E|x09|", "LEEF:2.0|V|P|1|E||"):
        doc = leef.parse(header + "src=10.0.0.1\tproto=17\tdstPort=53")
        assert doc is not None
        assert doc["network"] == {"iana_number": "17", "transport": "udp"}
        assert doc["destination"] == {"port": 53}


def test_trend_micro_deep_security_leef_2_without_separator_field() -> None:
    # IBM QRadar DSM Guide, "Trend Micro Deep Security sample event message" (syslog).
    doc = ecs(
        b"<182>Jul 14 01:32:31 trendmicro.deepsecurity.test LEEF:2.0|Trend Micro|Deep Security "
        b"Manager|11.0.221|851|cat=System\tname=Reconnaissance Detected: Network or Port Scan\t"
        b"desc=The Agent/Appliance detected an attempt to scan a computer or a network.\tsev=6\t"
        b"src=192.168.187.196\tusrName=qradar\ttarget=testTarget6\tTrendMicroDsTenant=Primary\t"
        b"TrendMicroDsTenantId=0"
    )
    assert doc["event"]["dataset"] == "leef.log"
    assert doc["event"]["code"] == "851" and doc["event"]["severity"] == 6
    assert doc["source"] == {"ip": "192.168.187.196"}
    assert doc["user"] == {"name": "qradar"}
    assert doc["leef"]["attributes"]["name"] == "Reconnaissance Detected: Network or Port Scan"
    assert doc["leef"]["attributes"]["TrendMicroDsTenant"] == "Primary"
    assert doc["host"]["name"] == "trendmicro.deepsecurity.test"


def test_space_separated_attributes_read_like_cef() -> None:
    # docs.tenzir.com "leef" format page: a real-world LEEF 1.0 event with spaces between pairs.
    doc = leef.parse(
        "LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.50.1.1  dst=2.10.20.20  spt=1200"
    )
    assert doc is not None
    assert doc["leef"]["attributes"] == {"src": "10.50.1.1", "dst": "2.10.20.20", "spt": "1200"}
    assert doc["source"] == {"ip": "10.50.1.1"}


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        # IBM QRadar DSM Guide, "Predefined LEEF event attributes" (devTime, devTimeFormat).
        ("devTime=Mar 05 2024 10:00:00", "2024-03-05T10:00:00.000Z"),
        ("devTime=1709632800000", "2024-03-05T10:00:00.000Z"),
        ("devTime=2024-03-05 17:00:00.5 +0700\tdevTimeFormat=yyyy-MM-dd HH:mm:ss.SSS Z",
         "2024-03-05T10:00:00.500Z"),
        ("devTime=05/03/2024 05:00:00 PM\tdevTimeFormat=dd/MM/yyyy hh:mm:ss a",
         "2024-03-05T17:00:00.000Z"),
        ("devTime=2024-03-05T10:00:00\tdevTimeFormat=yyyy-MM-dd'T'HH:mm:ss",
         "2024-03-05T10:00:00.000Z"),
    ],
)  # fmt: skip
def test_dev_time(attributes: str, expected: str) -> None:
    doc = leef.parse(f"LEEF:1.0|V|P|1|E|{attributes}")
    assert doc is not None
    assert doc["@timestamp"] == expected


def test_unreadable_times_and_values_are_left_as_sent() -> None:
    doc = leef.parse(
        "LEEF:1.0|V|P|1|E|devTime=soon\tdevTimeFormat=QQQ\tsrc=999.1.1.1\tsrcPort=x\tsev=high"
    )
    assert doc is not None
    assert "@timestamp" not in doc and "source" not in doc and "severity" not in doc["event"]
    assert doc["leef"]["attributes"]["srcPort"] == "x"


def test_nat_identity_url_and_policy() -> None:
    doc = leef.parse(
        "LEEF:1.0|V|P|1|E|identSrc=10.0.0.4\tidentHostName=ws-4\tsrcPostNAT=203.0.113.4\t"
        "srcPostNATPort=40000\turl=https://x.test/a\taction=blocked\tpolicy=Block-Bad"
    )
    assert doc is not None
    assert doc["source"] == {"ip": "10.0.0.4", "nat": {"ip": "203.0.113.4", "port": 40000}}
    assert "host" not in doc  # the identity's machine, not the host the event is from
    assert doc["url"] == {"original": "https://x.test/a"}
    assert doc["event"]["action"] == "blocked" and doc["rule"] == {"name": "Block-Bad"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("LEEF:1.0", {"version": "1.0"}),
        ("LEEF:1.0|IBM|QRadar", {"version": "1.0", "device": {"vendor": "IBM",
                                                              "product": "QRadar"}}),
        ("LEEF:2.0|IBM|QRadar|1.0|E|^", {"version": "2.0", "device": {
            "vendor": "IBM", "product": "QRadar", "version": "1.0", "event_id": "E"}}),
    ],
)  # fmt: skip
def test_truncated_lines_keep_what_was_read(line: str, expected: dict) -> None:
    doc = leef.parse(line)
    assert doc is not None
    assert doc["leef"] == expected


@pytest.mark.parametrize("line", ["", "LEEF", "LEEF:|a", "LEEF:one|a|b", "CEF:0|a|b|c|d|e|1|"])
def test_not_leef(line: str) -> None:
    assert leef.parse(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "LEEF:1.0|" + "\\" * 200_000,
        "LEEF:1.0|a|b|c|d|" + "k=v " * 50_000,
        "LEEF:1.0|a|b|c|d|" + "=\t" * 100_000,
        "LEEF:2.0|a|b|c|d|x" + "0" * 100_000 + "|a=b",
        "LEEF:1.0|a|b|c|d|devTime=1\tdevTimeFormat=" + "'y" * 50_000,
    ],
)
def test_hostile_input_is_linear(line: str) -> None:
    started = time.perf_counter()
    assert leef.parse(line) is not None
    assert time.perf_counter() - started < 1.0


PIECES = [
    "LEEF:1.0|",
    "LEEF:2.0|",
    "|",
    "^",
    "x09",
    "0x",
    "\t",
    "=",
    " ",
    "src=",
    "sev=",
    "devTime=",
    "devTimeFormat=",
    "yyyy",
    "MM",
    "dd",
    "'T'",
    "HH:mm:ss",
    ".SSS",
    " Z",
    "z",
    "2024-03-05",
    "T10:00:00",
    "+14:00",
    "0001",
    "proto=",
    "6",
    "srcPort=",
    "-1",
    "srcMAC=",
]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=24))
def test_no_leef_line_raises(pieces: list[str]) -> None:
    doc = leef.parse("".join(pieces))
    assert doc is None or doc["event"]["dataset"] == "leef.log"


def test_syslog_lines_reach_the_leef_parser() -> None:
    for raw in (
        b"<13>Jan 18 11:07:53 192.168.1.1 LEEF:1.0|QRadar|QRM|1.0|NEW_PORT_DISCOVERD|"
        b"src=172.5.6.67\tdst=172.50.123.1\tsev=5",
        b"<13>1 2019-01-18T11:07:53.520Z 192.168.1.1 LEEF:1.0|QRadar|QRM|1.0|NEW_PORT_DISCOVERD|"
        b"src=172.5.6.67\tdst=172.50.123.1\tsev=5",
        b"<13>Jan 18 11:07:53 192.168.1.1 LEEF: 1.0|QRadar|QRM|1.0|NEW_PORT_DISCOVERD|"
        b"src=172.5.6.67\tdst=172.50.123.1\tsev=5",
    ):
        doc = ecs(raw)
        assert doc["event"]["dataset"] == "leef.log"
        assert doc["event"]["code"] == "NEW_PORT_DISCOVERD"
        assert doc["source"]["ip"] == "172.5.6.67" and doc["destination"]["ip"] == "172.50.123.1"
        assert doc["host"]["name"] == "192.168.1.1"
        assert "process" not in doc


def test_leef_in_a_message_of_another_kind_goes_to_leef() -> None:
    doc = parse_message("LEEF:1.0|Palo Alto Networks|PAN-OS|9.1|TRAFFIC|src=1.1.1.1,TRAFFIC,")
    assert doc is not None
    assert doc["event"]["dataset"] == "leef.log"
