"""Malformed input: the header parser and the normalizer raise nothing but ParseError."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from collectors.syslog.record import SyslogMessage
from soc.errors import ParseError

RECEIVED = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)

# Pieces of real headers glued in random order reach far deeper than random bytes alone.
PIECES = [
    b"<13>", b"<165>1 ", b"<191>", b"<999>", b"<", b">", b"1 ", b"2003-10-11T22:14:15.003Z ",
    b"2024-02-30T25:61:00+07:00 ", b"- ", b"Mar  1 ", b"Feb 29 ", b"00:00:00 ", b"12:00:00.123 ",
    b"2024 ", b"host ", b"sshd[12]: ", b"tag: ", b"[", b"]", b'"', b"\\", b"=", b'x="v" ',
    b"[id@1 ", b"%ASA-6-302013: ", b"123: ", b"*", b"\xff", b"\xef\xbb\xbf", b"\n", b"\x00",
    b"devname=FG logid=1 ", b'{"EventID": 1, "Channel": "Security"}', b"{", b"Failed password ",
    b"for root from 10.0.0.1 port 22 ssh2", b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / H',
    b"9999-12-31T23:59:59-12:00 ", b"0001-01-01T00:00:00+12:00 ", b"Jan  1 0001 00:00:00 ICT ",
    b"%SYS-5-CONFIG_I: ", b"%%01SHELL/5/CMDRECORD(s)[0]:", b"(User=a, Ip=1.2.3.4)", b"rpd[1]: ",
    b"IN=eth0 ", b"SRC=1.2.3.4 ", b"MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:0g:00 ",
    # Junos structured data, SRX, NX-OS and IOS XR clocks, CEF and LEEF after the header
    b"RT_FLOW ", b"RT_FLOW_SESSION_CLOSE ", b"mgd ", b"UI_COMMIT ", b"[junos@2636.1.1.1.2.129 ",
    b'source-address="10.1.1.2" ', b'elapsed-time="9" ', b"\xe2\x80\x9d", b"RT_FLOW: ",
    b"session denied 1.2.3.4/1->5.6.7.8/80 ", b": ", b"2024 Mar  5 10:00:01 UTC: ",
    b"RP/0/RSP0/CPU0:", b"Mar  4 15:08:30.941 ICT: ", b"bgp[1051]: ", b"CEF:0|a|b|1|c|d|5|",
    b"src=1.2.3.4 rt=Mar 05 2024 10:00:00 ", b"LEEF:2.0|a|b|1|c|^|", b"CEF: 0|",
    # Check Point Log Exporter: R80's spaced clock, the syslog-format bracket, R81's element
    b"2018-03-21 17:25:25 ", b"2018-03-21 ", b"CheckPoint 13752 ", b"CP-GW - Log ",
    b'[action:"Drop"; ', b'src:"10.1.1.2"; ', b'sys_message::"x\\"; ', b'time:"99999999999999"',
    b"[Fields@1.3.6.1.4.1.2620 ", b'ICMP Type="8" ', b'xlatesrc="0.0.0.0" ',
]  # fmt: skip
headerish = st.lists(st.sampled_from(PIECES) | st.binary(max_size=6), max_size=14).map(b"".join)


def _parse_and_normalize(raw: bytes) -> None:
    try:
        msg = parse_syslog(raw, received=RECEIVED)
    except ParseError:
        return
    assert isinstance(msg, SyslogMessage)
    assert isinstance(msg.message, str)
    doc = to_ecs(msg, peer_ip="192.0.2.9")
    assert doc["observer"]["ip"] == "192.0.2.9"
    assert isinstance(doc["message"], str)


@settings(max_examples=400)
@given(raw=st.binary(max_size=300))
def test_random_bytes(raw: bytes) -> None:
    _parse_and_normalize(raw)


@settings(max_examples=800)
@given(raw=headerish)
def test_header_shaped_garbage(raw: bytes) -> None:
    _parse_and_normalize(raw)


def test_times_no_utc_date_holds_leave_the_receive_time() -> None:
    """Valid in their own zone, out of range in UTC: the message stays, without the time."""
    for raw in (
        b"<13>1 9999-12-31T23:59:59-12:00 h app - - - x",
        b"<13>9999-12-31T23:59:59-12:00 h app: x",
        b"<13>Jan  1 0001 00:00:00 ICT h app: x",
    ):
        msg = parse_syslog(raw, received=RECEIVED)
        assert msg.timestamp is None and msg.message == "x"
        assert "@timestamp" not in to_ecs(msg, peer_ip="192.0.2.9")
