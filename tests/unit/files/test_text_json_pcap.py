"""JSON/NDJSON, syslog text files and packet captures through `read_events`."""

from __future__ import annotations

import gzip
import os
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import evtx
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import SHARED_DATA

from collectors.files import ReadProblem, detect_format, read_events
from collectors.files.syslog_reader import MAX_LINE_BYTES
from collectors.parsers import suricata, zeek
from collectors.syslog import parse_syslog
from collectors.syslog.normalize import to_ecs

PARSER_SAMPLES = Path(__file__).parents[1] / "parsers" / "samples"
LOGHUB = SHARED_DATA / "syslog" / "loghub"
PCAPS = SHARED_DATA / "pcap"
SHIPPED_LINES = [
    "Dec  6 10:00:00 web1 sshd[123]: Failed password for root from 10.0.0.5 port 2222 ssh2",
    '10.1.2.3 - - [06/Dec/2026:10:00:00 +0700] "GET /a?b=../../etc/passwd HTTP/1.1" 200 5 "-" "x"',
    "172.16.5.10 6705: Feb 17 13:40:03.673: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged "
    "command:no access-session port-control",
    '<134>date=2026-12-06 time=10:00:00 devname="fw" type="traffic" subtype="forward" '
    'srcip=10.0.0.1 dstip=8.8.8.8 srcport=1 dstport=53 proto=17 action="accept"',
]


def test_ndjson_mixes_winlogbeat_nxlog_and_ecs_and_reports_bad_lines(tmp_path: Path) -> None:
    winlogbeat, nxlog = (
        orjson.dumps(orjson.loads((PARSER_SAMPLES / name).read_bytes()))  # one line each
        for name in ("winlogbeat_sysmon_1.json", "nxlog_security_4688.json")
    )
    ecs = orjson.dumps({"@timestamp": "2024-03-05T08:00:00Z", "event": {"ingested": "x"}})
    lines = [winlogbeat, b"", nxlog, b"{not json", ecs, b'["not", "events"]']
    path = tmp_path / "export.txt"  # content decides, not the name
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert detect_format(path) == "ndjson"
    problems: list[ReadProblem] = []
    events = list(read_events([path], on_error=problems.append))
    assert [e["event"]["dataset"] for e in events] == [
        "windows.sysmon_operational",
        "windows.security",
        "json",
    ]
    assert events[0]["process"]["name"] == "powershell.exe"
    assert events[1]["process"]["executable"].lower().endswith("whoami.exe")
    assert "ingested" not in events[2]["event"]  # the store stamps its own
    assert [(p.location, p.format) for p in problems] == [
        ("line 4", "ndjson"),
        ("line 6", "ndjson"),  # "not" and "events": two values, neither an event
        ("line 6", "ndjson"),
    ]
    assert problems[0].raw == b"{not json"
    assert all(e["log"]["file"]["path"] == str(path) for e in events)


def test_json_array_and_search_response(tmp_path: Path) -> None:
    doc = orjson.loads((PARSER_SAMPLES / "winlogbeat7_security_4625.json").read_bytes())
    array = tmp_path / "events.json"
    array.write_bytes(orjson.dumps([doc, doc], option=orjson.OPT_INDENT_2))
    hits = tmp_path / "hits.json"
    hits.write_bytes(orjson.dumps({"hits": {"hits": [{"_source": doc}]}}))
    assert (detect_format(array), detect_format(hits)) == ("json", "ndjson")  # one line
    events = list(read_events([array, hits]))
    assert len(events) == 3
    assert {e["winlog"]["event_id"] for e in events} == {"4625"}
    assert len({e["event"]["id"] for e in events}) == 3


def test_suricata_eve_json_reads_as_the_listener_reads_it(tmp_path: Path) -> None:
    """Suricata's own eve.json, the IDS evidence an agency hands over: each record is the event
    the listener makes of the same record sent over syslog."""
    lines = (PARSER_SAMPLES / "suricata_eve.json").read_text().splitlines()
    path = tmp_path / "eve.json"
    path.write_text("\n".join(lines) + "\n")
    problems: list[ReadProblem] = []
    events = list(read_events([path], on_error=problems.append))
    assert problems == []
    assert len(events) == len(lines) == 5
    for event, line in zip(events, lines, strict=True):
        expected = suricata.parse(line)
        assert expected is not None
        assert event["event"].pop("id") and event.pop("log")["file"]["path"] == str(path)
        assert event == expected
    assert events[0]["event"]["kind"] == "alert"
    assert events[0]["rule"]["name"].startswith("ET EXPLOIT Apache log4j")


ZEEK_DNS = (
    b'{"ts":1709632800.25,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"10.20.4.19","id.orig_p":53111,'
    b'"id.resp_h":"10.20.0.53","id.resp_p":53,"proto":"udp","trans_id":17,"query":"%s",'
    b'"qclass":1,"qclass_name":"C_INTERNET","qtype":16,"qtype_name":"TXT","rcode":3,'
    b'"rcode_name":"NXDOMAIN","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"rejected":false}'
)


def test_zeek_logs_read_as_the_listener_reads_them(tmp_path: Path) -> None:
    """A sensor's rotated dns.log (records that do not name their log: the file's name does)
    and a gzipped one: each record is the event the listener makes of the same record sent
    over syslog with Zeek's tag. Other JSON in the same file keeps its own reader."""
    lines = [ZEEK_DNS % b"update.soyte.gov.vn", ZEEK_DNS % b"x1.stage.123456.example.net"]
    ecs = b'{"@timestamp":"2024-03-05T10:00:00Z","ts":1,"message":"exported"}'
    rotated = tmp_path / "dns.09:00:00-10:00:00.log"
    rotated.write_bytes(b"\n".join([*lines, ecs]) + b"\n")
    (tmp_path / "dns.log.gz").write_bytes(gzip.compress(lines[0] + b"\n"))
    problems: list[ReadProblem] = []
    events = list(read_events([tmp_path], on_error=problems.append))
    assert problems == []
    assert [e["event"]["dataset"] for e in events] == ["zeek.dns", "zeek.dns", "json", "zeek.dns"]
    for event, line in zip(events[:2], lines, strict=True):
        expected = zeek.parse(line.decode(), program="zeek_dns")
        assert expected is not None
        assert event["event"].pop("id") and event.pop("log")["file"]["path"] == str(rotated)
        assert event == expected
    assert events[1]["dns"]["question"] == {"name": "x1.stage.123456.example.net", "type": "TXT",
                                            "class": "C_INTERNET"}  # fmt: skip
    assert events[1]["zeek"]["dns"]["id"]["orig_h"] == "10.20.4.19"
    assert events[3]["log"]["file"]["path"] == str(tmp_path / "dns.log.gz")


ZEEK_TSV = b"""#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tdns
#open\t2024-03-05-10-00-00
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqtype_name\trcode_name\tAA\tZ\tanswers\tTTLs\trejected
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tstring\tstring\tbool\tcount\tvector[string]\tvector[interval]\tbool
1709632800.250000\tCHhAvVGS1DHFjwGM9\t10.20.4.19\t53111\t10.20.0.53\t53\tudp\t17\t0.010000\twww.soyte.gov.vn\tA\tNOERROR\tF\t0\tweb.soyte.gov.vn,203.113.131.2\t300.000000,60.000000\tF
1709632801.000000\tCqz1Oe1Z9WJj0D6Jn8\t10.20.4.19\t53112\t10.20.0.53\t53\tudp\t18\t-\ta\\x09b\\x2cc\\x5cd\t-\t-\tF\t0\t(empty)\t(empty)\tF
#close\t2024-03-05-11-00-00
#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tsmb_files
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\taction\tpath\tname\tsize
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tcount
1709632802.000000\tCmQ4yD2ctWeMPt3Gc3\t10.20.4.66\t49834\t10.20.0.10\t445\tSMB::FILE_OPEN\t\\x5c\\x5c*\\x5cIPC$\tspoolss\t0
1709632803.000000\tCmQ4yD2ctWeMPt3Gc4\tonly three\tvalues
"""


def test_zeek_tsv_logs_read_as_their_json_records(tmp_path: Path) -> None:
    """Zeek's default TSV format: each row is the event of the record Zeek's JSON writer would
    have written (typed values, unset fields left out, escapes undone), `#path` naming the log;
    a file may hold several header blocks; a row that does not fit its header is a problem."""
    path = tmp_path / "zeek-2024-03-05.log"
    path.write_bytes(ZEEK_TSV)
    assert detect_format(path) == "zeek"
    problems: list[ReadProblem] = []
    events = list(read_events([path], on_error=problems.append))
    assert [(p.location, p.format) for p in problems] == [("line 20", "zeek")]
    first, second, smb = events
    expected = zeek.from_object({
        "_path": "dns", "ts": 1709632800.25, "uid": "CHhAvVGS1DHFjwGM9", "id.orig_h": "10.20.4.19",
        "id.orig_p": 53111, "id.resp_h": "10.20.0.53", "id.resp_p": 53, "proto": "udp",
        "trans_id": 17, "rtt": 0.01, "query": "www.soyte.gov.vn", "qtype_name": "A",
        "rcode_name": "NOERROR", "AA": False, "Z": 0,
        "answers": ["web.soyte.gov.vn", "203.113.131.2"], "TTLs": [300.0, 60.0], "rejected": False,
    })  # fmt: skip
    assert first["event"].pop("id") and first.pop("log")["file"]["path"] == str(path)
    assert first == expected
    assert second["zeek"]["dns"]["query"] == "a\tb,c\\d"
    assert (second["zeek"]["dns"]["answers"], second["zeek"]["dns"]["TTLs"]) == ([], [])
    assert "rtt" not in second["zeek"]["dns"] and "qtype_name" not in second["zeek"]["dns"]
    assert smb["event"]["dataset"] == "zeek.smb_files"
    assert smb["zeek"]["smb_files"]["path"] == "\\\\*\\IPC$"


def test_a_zeek_header_with_an_empty_set_separator_keeps_zeeks_default(tmp_path: Path) -> None:
    """Found by mutating the sample above: an empty `#set_separator` made every set a crash."""
    path = tmp_path / "dns.log"
    path.write_bytes(ZEEK_TSV.replace(b"#set_separator\t,", b"#set_separator\t"))
    problems: list[ReadProblem] = []
    first = next(iter(read_events([path], on_error=problems.append)))
    assert first["zeek"]["dns"]["answers"] == ["web.soyte.gov.vn", "203.113.131.2"]


def test_syslog_file_gives_what_the_listener_gives() -> None:
    path = LOGHUB / "OpenSSH" / "OpenSSH_2k.log"
    events = list(read_events([path]))
    lines = path.read_bytes().splitlines()
    assert len(events) == len(lines) == 2000
    written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    for event, line in zip(events, lines, strict=True):
        expected = to_ecs(parse_syslog(line, received=written), peer_ip=None)
        event.pop("log")["file"]
        expected.pop("log")
        event["event"].pop("id")
        assert event == {**expected, "event": {**expected.get("event", {}), **event["event"]}}
    assert sum(e["event"]["dataset"] == "system.auth" for e in events) > 1000


def test_a_log_line_shipped_in_message_reads_as_the_listener_reads_it(tmp_path: Path) -> None:
    """Filebeat's log input (no module) ships each line in `message`: the line is parsed, and
    the shipper's fields fill in what the line does not say; a line none of our parsers knows,
    or a document that names its dataset, stays as it came."""
    sshd = "Dec  6 10:00:00 web1 sshd[123]: Failed password for root from 10.0.0.5 port 2222 ssh2"
    shipped = {
        "@timestamp": "2026-12-06T03:00:00.123Z",
        "message": sshd,
        "host": {"name": "shipper", "os": {"family": "debian"}},
        "agent": {"type": "filebeat", "version": "8.15.0"},
        "input": {"type": "log"},
    }
    plain = {"@timestamp": "2026-12-06T03:00:01Z", "message": "backup finished"}
    named = {"message": sshd, "event": {"dataset": "custom.app"}}
    agent = {"message": sshd, "event": {"dataset": "generic"}, "data_stream": {"type": "logs"}}
    huge = {"message": sshd + " " * MAX_LINE_BYTES}  # longer than a line read whole
    path = tmp_path / "filebeat.ndjson"
    documents = (shipped, plain, named, huge, agent)
    path.write_bytes(b"\n".join(orjson.dumps(d) for d in documents) + b"\n")
    line, kept, own, whole, custom = read_events([path])
    assert custom["event"]["dataset"] == "system.auth"  # Elastic Agent's custom logs
    assert custom["data_stream"] == {"type": "logs"}
    assert (whole["event"]["dataset"], len(whole["message"])) == ("json", len(huge["message"]))
    received = datetime(2026, 12, 6, 3, 0, 0, 123000, tzinfo=UTC)
    expected = to_ecs(parse_syslog(sshd.encode(), received=received), peer_ip=None)
    assert line["event"]["dataset"] == expected["event"]["dataset"] == "system.auth"
    assert line["source"] == expected["source"] == {"ip": "10.0.0.5", "port": 2222}
    assert line["user"]["name"] == "root"
    assert line["@timestamp"] == expected["@timestamp"]  # the line's own time
    assert line["host"] == {"name": "web1", "os": {"family": "debian"}}  # the line's host first
    assert line["agent"] == shipped["agent"]
    assert line["input"] == {"type": "log"}
    assert kept["event"]["dataset"] == "json"
    assert (kept["message"], kept["@timestamp"]) == ("backup finished", plain["@timestamp"])
    assert own["event"]["dataset"] == "custom.app"
    assert own["message"] == sshd
    assert "source" not in own


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    message=st.one_of(
        st.text(max_size=300),
        st.sampled_from(SHIPPED_LINES).flatmap(
            lambda line: st.integers(0, len(line)).map(lambda cut: line[:cut])
        ),
    ),
    extra=st.dictionaries(
        st.sampled_from(["host", "log", "event", "source", "agent", "@timestamp", "process"]),
        st.one_of(
            st.none(),
            st.integers(-(1 << 63), (1 << 63) - 1),
            st.text(max_size=20),
            st.dictionaries(
                st.sampled_from(["name", "ip", "file", "dataset"]), st.text(max_size=10), max_size=2
            ),
        ),
        max_size=4,
    ),
)
def test_any_shipped_line_reads_as_one_event(
    tmp_path: Path, message: str, extra: dict[str, object]
) -> None:
    """Whatever the line and the shipper's fields, each document is one event, never an error."""
    path = tmp_path / "shipped.ndjson"
    path.write_bytes(orjson.dumps({**extra, "message": message}) + b"\n")
    problems: list[ReadProblem] = []
    events = list(read_events([path], on_error=problems.append))
    assert (len(events), problems) == (1, [])
    assert "dataset" in events[0]["event"]


def test_apache_error_log_is_text_not_json() -> None:
    path = LOGHUB / "Apache" / "Apache_2k.log"
    assert detect_format(path) == "syslog"
    assert sum(1 for _ in read_events([path])) == 2000


def test_folders_skip_documentation_and_refuse_unknown_binaries(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "auth.log").write_bytes(
        b"Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 1.2.3.4 port 22 ssh2\n"
    )
    problems: list[ReadProblem] = []
    events = list(read_events([tmp_path, tmp_path / "missing.log"], on_error=problems.append))
    assert [e["log"]["file"]["path"] for e in events] == [str(tmp_path / "sub" / "auth.log")]
    assert [(Path(p.path).name, p.reason) for p in problems] == [
        ("blob.bin", "binary content that is not EVTX, pcap, JSON or text"),
        ("missing.log", "no such file or directory"),
    ]


def ipv4_packets(path: Path) -> list[tuple[str, str, int]]:
    """(src, dst, IP total length) of each Ethernet/IPv4 frame, read with nothing but struct:
    an independent count for the flow totals."""
    data = path.read_bytes()
    offset, found = 24, []
    while offset + 16 <= len(data):
        captured = struct.unpack_from("<I", data, offset + 8)[0]
        frame = data[offset + 16 : offset + 16 + captured]
        offset += 16 + captured
        if len(frame) >= 34 and frame[12:14] == b"\x08\x00":
            length = struct.unpack_from("!H", frame, 16)[0]
            src, dst = (".".join(map(str, frame[i : i + 4])) for i in (26, 30))
            found.append((src, dst, length))
    return found


def test_pcap_flows_account_for_every_ip_packet_and_byte() -> None:
    path = PCAPS / "http.pcap"
    flows = list(read_events([path]))
    packets = ipv4_packets(path)
    assert sum(f["network"]["packets"] for f in flows) == len(packets) == 43
    assert sum(f["network"]["bytes"] for f in flows) == sum(n for _, _, n in packets)
    assert {f["event"]["dataset"] for f in flows} == {"netflow.log"}
    web = next(
        f for f in flows if f["destination"].get("port") == 80 and f["source"]["port"] == 3372
    )
    reverse = next(
        f for f in flows if f["source"].get("port") == 80 and f["destination"]["port"] == 3372
    )
    assert web["network"]["community_id"] == reverse["network"]["community_id"]
    assert set(web["netflow"]["tcp_flags"]) == {"SYN", "ACK", "PSH", "FIN"}
    assert web["event"]["start"] <= web["event"]["end"] == web["@timestamp"]


def test_a_truncated_capture_counts_the_wire_length() -> None:
    flows = list(read_events([PCAPS / "truncated_dns.pcap"]))
    assert len(flows) == 1
    (length,) = [n for _, _, n in ipv4_packets(PCAPS / "truncated_dns.pcap")]
    assert flows[0]["network"]["bytes"] == length
    assert flows[0]["source"]["port"] == 53


def _without_stamps(event: dict) -> dict:
    """The event without what differs between two reads of it: id, file path, ingest time."""
    event = orjson.loads(orjson.dumps(event))
    del event["event"]["id"], event["log"]["file"]
    event["event"].pop("ingested", None)
    return event


def test_evtx_dump_json_reads_as_the_evtx_file_does(tmp_path: Path) -> None:
    """The event XML rendered as JSON (`evtx_dump -o json`, SigmaHQ's regression samples) is the
    same Windows event as the EVTX record it came from, as one object, an array or NDJSON."""
    evtx_path = (
        SHARED_DATA
        / "evtx"
        / "hayabusa-sample-evtx"
        / "DeepBlueCLI"
        / "mimikatz-privesc-hashdump.evtx"
    )
    records = [orjson.loads(r["data"]) for r in evtx.PyEvtxParser(str(evtx_path)).records_json()]
    assert len(records) > 1
    from_evtx = [_without_stamps(e) for e in read_events([evtx_path])]
    one = tmp_path / "one.json"
    one.write_bytes(orjson.dumps(records[0], option=orjson.OPT_INDENT_2))
    array = tmp_path / "array.json"
    array.write_bytes(orjson.dumps(records))
    lines = tmp_path / "lines.ndjson"
    lines.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    problems: list[ReadProblem] = []
    assert [_without_stamps(e) for e in read_events([one], on_error=problems.append)] == from_evtx[
        :1
    ]
    for path in (array, lines):
        assert [
            _without_stamps(e) for e in read_events([path], on_error=problems.append)
        ] == from_evtx
    assert problems == []


def test_evtx_dump_objects_back_to_back_read_as_the_evtx_file_does(tmp_path: Path) -> None:
    """`evtx_dump -o json` writes a multi-record file as indented objects one after another,
    neither one document nor NDJSON (SigmaHQ's multi-event regression samples are such files);
    a broken object costs only itself and what follows it."""
    evtx_path = (
        SHARED_DATA
        / "evtx"
        / "hayabusa-sample-evtx"
        / "DeepBlueCLI"
        / "mimikatz-privesc-hashdump.evtx"
    )
    records = [orjson.loads(r["data"]) for r in evtx.PyEvtxParser(str(evtx_path)).records_json()]
    from_evtx = [_without_stamps(e) for e in read_events([evtx_path])]
    dump = tmp_path / "dump.json"
    dump.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_INDENT_2) + b"\n" for r in records))
    assert detect_format(dump) == "json"
    problems: list[ReadProblem] = []
    assert [_without_stamps(e) for e in read_events([dump], on_error=problems.append)] == from_evtx
    assert problems == []
    cut = tmp_path / "cut.json"
    cut.write_bytes(
        dump.read_bytes()[: -len(orjson.dumps(records[-1], option=orjson.OPT_INDENT_2)) // 2]
    )
    events = [_without_stamps(e) for e in read_events([cut], on_error=problems.append)]
    assert events == from_evtx[: len(records) - 1]
    assert [(p.format, p.location) for p in problems] == [("json", f"value {len(records)}")]
    assert problems[0].reason.startswith("invalid JSON: ")


def test_a_file_of_cef_and_leef_lines_reads_as_the_listener_reads_them(tmp_path: Path) -> None:
    """Exports from an ArcSight connector or a SIEM relay: bare CEF lines, or with a header."""
    lines = [
        b"CEF:0|KasperskyLab|SecurityCenter|13.2.0.1511|GNRL_EV_VIRUS_FOUND|Virus found|4|"
        b"rt=1700647200000 dhost=WS-042 dst=10.8.1.42 act=Deleted",
        b"<134>Nov 22 10:00:00 ksc CEF:0|KasperskyLab|SecurityCenter|13.2.0.1511|"
        b"GNRL_EV_VIRUS_FOUND|Virus found|4|dhost=WS-043 dst=10.8.1.43",
        b"LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.1\tusrName=joe.black",
    ]
    path = tmp_path / "cef.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert detect_format(path) == "syslog"
    first, second, third = read_events([path])
    assert [e["event"]["dataset"] for e in (first, second, third)] == ["cef.log", "cef.log",
                                                                       "leef.log"]  # fmt: skip
    assert first["@timestamp"] == "2023-11-22T10:00:00.000Z"
    assert (first["destination"]["ip"], second["destination"]["ip"]) == ("10.8.1.42", "10.8.1.43")
    assert second["host"]["name"] == "ksc" and "observer" in second
    assert third["user"]["name"] == "joe.black"
    assert "ip" not in first["observer"]  # a file has no sender address


def test_a_saved_octet_counted_tcp_stream_reads_frame_by_frame(tmp_path: Path) -> None:
    """RFC 6587 octet counting as a relay's raw dump keeps it: a count before every frame, one
    frame a line or several back to back; a count that does not fit leaves the line whole."""
    frames = [
        b"<14>1 2024-03-05T10:00:01+07:00 fw01 app - - - first message",
        b"<14>1 2024-03-05T10:00:02+07:00 fw01 app - - - second, counted with its LF\n",
        b"<13>Mar  5 10:00:03 sw01 third message",
        b"<13>Mar  5 10:00:04 sw01 fourth message",
    ]
    counted = [b"%d %s" % (len(frame), frame) for frame in frames]
    lines = [counted[0], counted[1].rstrip(b"\n"), counted[2] + counted[3],
             b"42 <13>Mar  5 10:00:05 sw01 a number and a PRI, no frame"]  # fmt: skip
    path = tmp_path / "tcp-dump.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    events = list(read_events([path]))
    assert [e["message"] for e in events] == [
        "first message",
        "second, counted with its LF",
        "third message",
        "fourth message",
        "42 <13>Mar  5 10:00:05 sw01 a number and a PRI, no frame",
    ]
    assert [e["host"].get("name") for e in events[:4]] == ["fw01", "fw01", "sw01", "sw01"]
    assert events[0]["@timestamp"] == "2024-03-05T03:00:01.000Z"


def test_a_real_syslog_capture_gives_its_messages() -> None:
    """tcpdump's own syslog capture: four datagrams from 10.0.0.20, decoded as tcpdump
    printed them (`tcpdump-syslog_udp.expected.txt`)."""
    problems: list[ReadProblem] = []
    events = list(read_events([PCAPS / "tcpdump-syslog_udp.pcap"], on_error=problems.append))
    assert problems == []
    assert [
        (
            e["log"]["syslog"]["facility"]["code"],
            e["log"]["syslog"]["severity"]["code"],
            e["message"].rsplit(": ", 1)[-1],
        )
        for e in events
    ] == [
        (0, 5, "test message 21"),
        (1, 1, "test message 22"),
        (1, 5, "test message 23"),
        (1, 1, "test message 24"),
    ]
    for event in events:
        assert event["event"]["dataset"] == "syslog"
        assert event["observer"]["ip"] == event["log"]["source"]["address"] == "10.0.0.20"
    # The RFC 3339 headers give the sender's time (+04:00), in UTC.
    assert [e["@timestamp"] for e in events[2:]] == [
        "2013-09-12T15:16:34.457Z",
        "2013-09-12T15:16:43.513Z",
    ]
    assert events[0]["process"]["name"] == "logger"


def test_a_packet_time_past_any_date_is_a_problem_and_the_capture_read_on(
    tmp_path: Path,
) -> None:
    """pcapng keeps 64-bit times: a broken block can date a packet in the year 33,658."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import PcapNgWriter

    path = tmp_path / "odd-times.pcapng"
    writer = PcapNgWriter(str(path))
    for seconds in (1e12, 1_700_000_000.0):
        frame = Ether() / IP(src="10.20.0.5", dst="10.20.0.9") / UDP(sport=1, dport=2) / b"x"
        frame.time = seconds
        writer.write(frame)
    writer.close()
    problems: list[ReadProblem] = []
    (flow,) = read_events([path], on_error=problems.append)
    assert flow["@timestamp"] == "2023-11-14T22:13:20.000Z"
    (problem,) = problems
    assert (problem.location, problem.reason) == (
        "packet 1",
        "capture time 1000000000000 s after 1970 is no date",
    )
    assert problem.raw


IIS_HEADER = (
    "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
    "#Date: 2024-03-05 10:00:00\n"
)


def test_an_iis_file_is_read_by_its_field_directives(tmp_path: Path) -> None:
    """Read as syslog lines, the directives became events and rows in any but the default
    fields went unparsed."""
    path = tmp_path / "u_ex240305.log"
    path.write_text(
        IIS_HEADER
        + "#Fields: date time s-sitename cs-method cs-uri-stem cs-uri-query s-port cs-username "
        "c-ip cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus "
        "sc-win32-status sc-bytes cs-bytes time-taken\n"
        "2024-03-05 10:00:07 W3SVC1 GET /owa/auth.owa - 443 - 198.51.100.7 curl/8.0 - - "
        "mail.example.org 401 1 0 123 456 15\n"
    )
    assert detect_format(path) == "w3c"
    (doc,) = read_events([path])
    assert doc["event"]["dataset"] == "iis.access"
    assert doc["@timestamp"] == "2024-03-05T10:00:07.000Z"
    assert doc["source"] == {"ip": "198.51.100.7"}
    assert doc["iis"]["access"]["site_name"] == "W3SVC1"
    assert doc["url"]["domain"] == "mail.example.org"


def test_an_iis_file_without_directives_is_read_in_the_default_fields(tmp_path: Path) -> None:
    """As a syslog line, the row's leading date was taken for a header and the row was lost."""
    path = tmp_path / "iis.log"
    path.write_text("2024-03-05 10:00:07 192.0.2.10 GET /default.aspx id=1 443 - 198.51.100.7 "
                    "curl/8.0 - 200 0 0 15\n")  # fmt: skip
    assert detect_format(path) == "w3c"
    (doc,) = read_events([path])
    assert doc["event"]["dataset"] == "iis.access"
    assert doc["url"]["query"] == "id=1"


def test_timestamps_that_name_no_zone_are_read_in_the_zone_given(tmp_path: Path) -> None:
    """A server's auth.log, its nginx error.log and NXLog's JSON keep the host's local clock;
    an analyst names that zone (`--timezone`), as the listener's `syslog.timezone` does."""
    (tmp_path / "auth.log").write_bytes(
        b"Mar  5 14:02:11 web01 sshd[77]: Failed password for root from 203.0.113.9 port 51000"
        b" ssh2\n"
    )
    (tmp_path / "error.log").write_bytes(
        b'2024/03/05 14:02:12 [error] 1234#1234: *5 open() "/var/www/x.php" failed (2: No such '
        b"file or directory), client: 203.0.113.9, server: example.gov.vn\n"
    )
    nxlog = {
        "EventTime": "2024-03-05 14:02:13",
        "Hostname": "DC01",
        "EventID": 4625,
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Channel": "Security",
    }
    (tmp_path / "nxlog.json").write_bytes(orjson.dumps(nxlog) + b"\n")
    for path in tmp_path.iterdir():
        os.utime(path, (datetime(2024, 3, 6, tzinfo=UTC).timestamp(),) * 2)

    def times(**zone: Any) -> list[str]:
        return sorted(e["@timestamp"] for e in read_events([tmp_path], **zone))

    local = ["2024-03-05T14:02:11.000Z", "2024-03-05T14:02:12.000Z", "2024-03-05T14:02:13.000Z"]
    assert times() == local
    utc = ["2024-03-05T07:02:11.000Z", "2024-03-05T07:02:12.000Z", "2024-03-05T07:02:13.000Z"]
    assert times(zone=ZoneInfo("Asia/Ho_Chi_Minh")) == utc
