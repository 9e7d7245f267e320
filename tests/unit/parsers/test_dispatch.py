"""Choosing the parser, and that no parser raises on whatever a sender throws at it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shared_data import SHARED_DATA

from collectors.parsers import parse_message, windows_json

SAMPLES = Path(__file__).parent / "samples"
LOGHUB = SHARED_DATA / "syslog/loghub"


@pytest.mark.parametrize(
    ("message", "program", "dataset"),
    [
        ("Failed password for root from 10.0.0.1 port 22 ssh2", "sshd", "system.auth"),
        ('devname="FG" logid="0000000013" srcip=10.0.0.1 action="deny"', None, "fortinet.firewall"),
        ('10.0.0.1 - - [05/Mar/2024:09:00:00 +0700] "GET / HTTP/1.1" 200 5', "nginx",
         "nginx.access"),
        ('10.0.0.1 - - [05/Mar/2024:09:00:00 +0700] "GET / HTTP/1.1" 200 5', None,
         "apache.access"),
        ((SAMPLES / "nxlog_security_4688.json").read_text(), "nxlog", "windows.security"),
        ("host CEF:0|Sophos|XG|19|010101600001|Allowed|1|src=10.0.0.1", None, "cef.log"),
        ("0|Sophos|XG|19|010101600001|Allowed|1|src=10.0.0.1", "CEF", "cef.log"),
        ("LEEF:1.0|Vendor|Product|1|E|src=10.0.0.1", None, "leef.log"),
    ],
)  # fmt: skip
def test_each_kind_goes_to_its_parser(message: str, program: str | None, dataset: str) -> None:
    doc = parse_message(message, program=program)
    assert doc is not None
    assert doc["event"]["dataset"] == dataset


def test_sshd_is_claimed_by_program_before_content() -> None:
    """A user name chosen by an attacker must not turn an sshd line into a firewall event."""
    doc = parse_message(
        'Invalid user devname="x" logid="1" from 10.0.0.9 port 4444', program="sshd"
    )
    assert doc is not None
    assert doc["event"]["dataset"] == "system.auth"
    assert doc["source"]["ip"] == "10.0.0.9"


def test_unknown_lines_have_no_parser() -> None:
    assert parse_message("eth0: link up", program="kernel") is None
    assert parse_message("port Gi0/1 went down") is None
    assert parse_message("(root) CMD (run-parts /etc/cron.hourly)", program="CRON") is None


@settings(max_examples=500)
@given(
    message=st.text(max_size=300),
    program=st.none()
    | st.sampled_from(
        [
            "sshd",
            "sshd(pam_unix)",
            "nginx",
            "sudo",
            "su",
            "useradd",
            "kernel",
            "filterlog",
            "suricata",
            "%ASA-6-302013",
            "%FTD-4-106023",
            "apache2",
        ]
    )
    | st.text(max_size=8),
    pid=st.none() | st.text(max_size=12),
)
def test_no_parser_raises_on_text(message: str, program: str | None, pid: str | None) -> None:
    doc = parse_message(message, program=program, pid=pid)
    assert doc is None or isinstance(doc["event"]["dataset"], str)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["winlog", "event_data", "event_id", "channel", "EventID", "Channel", "Image",
             "ProcessId", "NewProcessId", "User", "Hashes", "@timestamp", "event", "host",
             "computer_name", "organization", "related", "process", "user", "x"]
        ),
        children,
        max_size=6,
    ),
    max_leaves=25,
)  # fmt: skip


@settings(max_examples=500)
@given(
    value=json_values,
    channel=st.sampled_from(["Security", "Microsoft-Windows-Sysmon/Operational", "Other"]),
    event_id=st.sampled_from([1, "1", 4688, "4688", None]),
    shape=st.sampled_from(["winlogbeat", "nxlog", "raw"]),
)
def test_windows_parser_survives_any_json(
    value: object, channel: str, event_id: object, shape: str
) -> None:
    if shape == "winlogbeat":
        data = dict(value) if isinstance(value, dict) else {"x": value}
        data["winlog"] = {"channel": channel, "event_id": event_id, "event_data": value}
    elif shape == "nxlog":
        data = {"EventID": event_id, "Channel": channel, "Image": value, "ProcessId": value}
    else:
        data = value
    doc = windows_json.parse(json.dumps(data))
    assert doc is None or doc["event"]["module"] == "windows"


# Pieces of every supported format, glued at random: reaches deep into each parser.
FORMAT_PIECES = [
    "IN=eth0 ", "OUT= ", "SRC=10.0.0.1 ", "DST=::1 ", "PROTO=TCP ", "SPT=1 ", "DPT=99999 ",
    "MAC=aa:bb ", "[UFW BLOCK] ", "5,,,1000,em0,match,block,in,", "4,", "6,", "0x0,", "tcp,",
    "icmp,", "request,", "1,2024/03/05 10:00:06,0128,", "TRAFFIC,", "THREAT,", "end,", '"a,b",',
    "Deny tcp src outside:1.2.3.4/5 dst inside:", "Built inbound TCP connection 1 for ",
    "outside:1.2.3.4/5 (1.2.3.4/5) ", "to inside:", "duration 1:2:3 bytes 9 ", "%ASA-6-302013: ",
    '{"event_type": "alert", ', '"alert": {"signature_id": "x"}, ', '"src_ip": 5, ', "}",
    "[Tue Mar 05 17:00:10.9 2024] ", "[core:error] ", "[pid 1:tid 2] ", "[client ::1:80] ",
    "2024/03/05 17:00:08 [error] 1#2: *3 ", "client: x, ", 'request: "GET', "2024-03-05 10:00:07 ",
    "alice : ", "TTY=pts/0 ; ", "USER=root ; ", "COMMAND=", "pam_unix(sudo:session): ",
    "session opened for user ", "new user: name=x, UID=1, GID=2", "devname=FG logid=1 ",
    'type="utm" subtype="virus" ', 'action="blocked" ', "status=failed ", ",", " ", "\\", '"',
    # Cisco IOS, Huawei VRP, Junos, Zeek, FortiGate DNS
    "61: ", "*Mar  5 10:00:01.795: ", "Mar  5 10:00:01.795 ICT: ", "%SYS-5-CONFIG_I: ",
    "%SEC-6-IPACCESSLOGP: ", "list 177 denied udp ", "10.20.1.95(55250) -> ", "(3/4), ",
    "1 packet", "Configured from console by netops on vty0 (10.20.4.9)",
    "%PARSER-5-CFGLOG_LOGGEDCMD: ", "User:admin  logged command:", "%%01SHELL/5/CMDRECORD(s)",
    "[17]:", "(l):", "(User=a, ", 'Ip="1.2.3.4", ', "Command=x)", "RPD_BGP_NEIGHBOR_STATE: ",
    '"_path": "dns", ', '"ts": 1.5, ', '"id.orig_h": "::1", ', '"answers": [1, "a"], ',
    '"uid": "C", ', 'logid="1501054802" ', 'qname="x" ', 'qtype="A" ', "qclass=IN ", "xid=77 ",
    'ipaddr="1.2.3.4, ::1" ',
    # CEF and LEEF
    "CEF:0|", "CEF: 1|", "LEEF:1.0|", "LEEF:2.0|", "|", "x09|", "^", "\t", "rt=", "rt=Mar 05 ",
    "\\=", "\\|", "src=10.0.0.1 ", "spt=-1 ", "cn1=9999999999999999999999 ", "dtz=Asia/X ",
    "devTime=", "devTimeFormat=yyyy-MM-dd'T'HH ", "sev=", "proto=6 ", "fileHash=", "smac=",
    # Juniper SRX
    "RT_FLOW_SESSION_CLOSE: ", "RT_FLOW - ", "session created ", "session closed ",
    "session denied ", "10.1.1.2/52000->8.8.8.8/53 ", "0x0 ", "junos-dns-udp ", "N/A ",
    "source rule ", "6(0) ", "[junos@2636.1.1.1.2.129 ", 'source-address="10.1.1.2" ',
    'elapsed-time="x" ', 'protocol-id="300" ', "]", "RT_SCREEN_TCP: ", "source: 1.2.3.4:5, ",
    # Check Point Log Exporter: syslog, R81 structured and splunk formats
    '[action:"Drop"; ', 'loguid:"{0x1,0x2}"; ', 'src:"10.1.1.2"; ', 's_port:"99999"; ',
    'time:"99999999999999"; ', 'sys_message::"', '\\"', "[Fields@1.3.6.1.4.1.2620 ",
    'ICMP Type="8" ', 'xlatesrc="0.0.0.0" ', 'mac_source_address="zz" ', "time=1557767758|",
    "product=Firewall|", "action=Drop\\|x|", "proto=6|",
    # Sophos Firewall (SFOS) key=value
    'device="SFW" ', "device_name=x ", "log_id=010101600001 ", "log_id=999999999999 ",
    'log_type="Event" ', 'log_subtype="Admin" ', 'timestamp="2024-13-05T25:00:00+0700" ',
    "date=2024-03-05 ", "time=10:00:00 ", 'timezone="+99" ', 'url="http://[x/" ',
    "src_port=99999999999999999999 ", 'status="Failed" ', "message=login ",
]  # fmt: skip


@settings(max_examples=800)
@given(
    pieces=st.lists(st.sampled_from(FORMAT_PIECES) | st.text(max_size=5), max_size=16),
    program=st.none()
    | st.sampled_from(
        [
            "sudo",
            "kernel",
            "filterlog",
            "suricata",
            "%ASA-6-302013",
            "nginx",
            "rpd",
            "/kernel",
            "%SEC-6-IPACCESSLOGP",
            "zeek_dns",
            "bro-conn",
            "12",
            "CEF",
            "LEEF",
            "RT_FLOW",
            "RT_IDS",
            "mgd",
            "CheckPoint",
            "CP-GW",
        ]
    ),
)
@example(pieces=["5,,,1000,em0,match,block,in,", "TRAFFIC,", "\n0"], program=None)  # csv.Error
def test_no_parser_raises_on_format_shaped_garbage(pieces: list[str], program: str | None) -> None:
    doc = parse_message("".join(pieces), program=program)
    assert doc is None or isinstance(doc["event"]["dataset"], str)
