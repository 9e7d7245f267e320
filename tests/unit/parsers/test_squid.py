"""Squid access lines (the native `squid` logformat, and `combined` under Squid's tag) to ECS.

Lines are written here in the format of Squid's `logformat squid`:
`%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.files import read_events
from collectors.parsers import parse_message, squid
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.model.event import stamp
from soc.rules import load_catalog
from soc.storage import DuckDBEventStore

ROOT = Path(__file__).resolve().parents[3]
PIPELINES = ROOT / "rules" / "pipelines"
RECEIVED = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)

MISS = (
    "1709632811.779    180 192.0.2.24 TCP_MISS/200 4110 GET "
    "http://www.example.com/a/b.php?x=1 - HIER_DIRECT/203.0.113.80 text/html"
)
HIT = (
    "1709632812.005      0 192.0.2.25 TCP_MEM_HIT/200 1523 GET "
    "http://static.example.net/logo.png - HIER_NONE/- image/png"
)
TUNNEL = (
    "1709632813.120  60321 192.0.2.26 TCP_TUNNEL/200 51234 CONNECT "
    "mail.example.org:443 alice HIER_DIRECT/198.51.100.14 -"
)
DENIED = (
    "1709632814.450      1 192.0.2.27 TCP_DENIED/403 3958 GET "
    "http://blocked.example.com/ - HIER_NONE/- text/html"
)
OLD = (
    "1109632814.450    120 192.0.2.28 TCP_MISS/200 700 GET http://old.example.com/ - "
    "DIRECT/203.0.113.9 -"
)


def test_miss() -> None:
    doc = squid.parse(MISS)
    assert doc == {
        "@timestamp": "2024-03-05T10:00:11.779Z",
        "event": {
            "module": "squid",
            "dataset": "squid.access",
            "kind": "event",
            "category": ["web", "network"],
            "type": ["access", "allowed"],
            "action": "tcp_miss",
            "outcome": "success",
            "duration": 180_000_000,
        },
        "observer": {"type": "proxy", "vendor": "Squid"},
        "source": {"ip": "192.0.2.24"},
        "http": {
            "request": {"method": "GET"},
            "response": {"status_code": 200, "bytes": 4110, "mime_type": "text/html"},
        },
        "url": {
            "original": "http://www.example.com/a/b.php?x=1",
            "scheme": "http",
            "domain": "www.example.com",
            "path": "/a/b.php",
            "query": "x=1",
            "extension": "php",
        },
        "destination": {"ip": "203.0.113.80"},
        "squid": {
            "access": {
                "result_code": "TCP_MISS",
                "hierarchy_code": "HIER_DIRECT",
                "peer": "203.0.113.80",
            }
        },
        "related": {"ip": ["192.0.2.24", "203.0.113.80"]},
    }


def test_hit_has_no_peer() -> None:
    doc = squid.parse(HIT)
    assert doc is not None
    assert doc["event"]["action"] == "tcp_mem_hit"
    assert doc["event"]["duration"] == 0
    assert "destination" not in doc
    assert doc["squid"]["access"] == {"result_code": "TCP_MEM_HIT", "hierarchy_code": "HIER_NONE"}
    assert doc["url"]["extension"] == "png"
    assert doc["http"]["response"]["mime_type"] == "image/png"


def test_connect_tunnel_with_user() -> None:
    doc = squid.parse(TUNNEL)
    assert doc is not None
    assert doc["user"] == {"name": "alice"}
    assert doc["http"]["request"] == {"method": "CONNECT"}
    assert doc["url"] == {"original": "mail.example.org:443", "domain": "mail.example.org",
                          "port": 443}  # fmt: skip
    assert doc["destination"] == {"domain": "mail.example.org", "port": 443,
                                  "ip": "198.51.100.14"}  # fmt: skip
    assert "mime_type" not in doc["http"]["response"]
    assert doc["related"] == {"ip": ["192.0.2.26", "198.51.100.14"], "user": ["alice"]}


def test_user_name_is_url_decoded() -> None:
    """Squid's native format URL-encodes the user name (`QuoteUrlEncodeUsername`)."""
    doc = squid.parse(TUNNEL.replace(" alice ", " alice%40corp.example "))
    assert doc is not None
    assert doc["user"] == {"name": "alice@corp.example"}


def test_denied() -> None:
    doc = squid.parse(DENIED)
    assert doc is not None
    assert doc["event"]["type"] == ["access", "denied"]
    assert doc["event"]["outcome"] == "failure"
    assert doc["event"]["action"] == "tcp_denied"
    assert doc["http"]["response"]["status_code"] == 403
    assert doc["url"]["path"] == "/"


def test_no_reply_and_old_hierarchy_codes() -> None:
    """`NONE_NONE/000` (no reply was made: no status) and Squid 2's `DIRECT/ip`."""
    doc = squid.parse(
        "1709632815.000      0 192.0.2.29 NONE_NONE/000 0 NONE error:invalid-request - NONE/- -"
    )
    assert doc is not None
    assert doc["http"] == {"response": {"bytes": 0}}
    assert doc["url"] == {"original": "error:invalid-request"}
    assert doc["event"]["outcome"] == "success"
    old = squid.parse(OLD)
    assert old is not None
    assert old["@timestamp"] == "2005-02-28T23:20:14.450Z"
    assert old["destination"] == {"ip": "203.0.113.9"}
    assert old["squid"]["access"]["hierarchy_code"] == "DIRECT"


def test_not_squid() -> None:
    assert squid.parse('192.0.2.24 - - [05/Mar/2024:10:00:11 +0000] "GET / HTTP/1.1" 200 1') is None
    assert not squid.claims("192.0.2.24 - - [05/Mar/2024:10:00:11 +0000]")
    assert not squid.claims("2024-03-05 10:00:11 W3SVC1 192.0.2.1 GET / - 80")
    assert not squid.claims("1234567890.example.com - - [05/Mar/2024:10:00:11 +0000]")
    assert squid.claims(MISS)


@pytest.mark.parametrize("tag", ["squid[4321]", "(squid-1)[4321]", None])
def test_syslog_line(tag: str | None) -> None:
    """`access_log syslog:local4.info squid`; an SMP worker signs `(squid-1)`; untagged lines
    are recognised by the epoch."""
    header = f"<166>Mar  5 10:00:12 proxy1 {tag}: " if tag else "<166>Mar  5 10:00:12 proxy1 "
    doc = to_ecs(parse_syslog((header + MISS).encode(), received=RECEIVED), peer_ip=None)
    assert doc["event"]["dataset"] == "squid.access"
    assert doc["@timestamp"] == "2024-03-05T10:00:11.779Z"
    assert doc["host"] == {"name": "proxy1"}


@pytest.mark.parametrize("program", ["squid", "(squid-1)"])
def test_combined_format_under_squid_tag(program: str) -> None:
    """`logformat combined` is Apache's line plus `%Ss:%Sh`: Squid's labels under its tag (an
    SMP worker's too), Apache's elsewhere."""
    line = (
        '192.0.2.30 - bob [05/Mar/2024:10:00:11 +0000] "GET http://www.example.com/x.zip '
        'HTTP/1.1" 200 4110 "-" "curl/8.5.0" TCP_MISS:HIER_DIRECT'
    )
    doc = parse_message(line, program=program)
    assert doc is not None
    assert doc["event"]["dataset"] == "squid.access"
    assert doc["event"]["action"] == "tcp_miss"
    assert doc["observer"] == {"type": "proxy", "vendor": "Squid"}
    assert doc["url"]["domain"] == "www.example.com"
    assert doc["url"]["path"] == "/x.zip"
    assert doc["http"]["response"] == {"status_code": 200, "bytes": 4110}
    assert doc["user_agent"] == {"original": "curl/8.5.0"}
    untagged = parse_message(line)
    assert untagged is not None and untagged["event"]["dataset"] == "apache.access"


def test_access_log_file(tmp_path: Path) -> None:
    """/var/log/squid/access.log as `soc ingest` reads it: no header, each line the epoch first."""
    log = tmp_path / "access.log"
    log.write_text("\n".join((MISS, HIT, TUNNEL, DENIED)) + "\n")
    events = list(read_events([log]))
    assert [e["event"]["dataset"] for e in events] == ["squid.access"] * 4
    assert [e["event"]["action"] for e in events] == [
        "tcp_miss", "tcp_mem_hit", "tcp_tunnel", "tcp_denied"]  # fmt: skip
    assert events[0]["@timestamp"] == "2024-03-05T10:00:11.779Z"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBEventStore]:
    events = DuckDBEventStore(tmp_path / "events.duckdb")
    yield events
    events.close()


def test_sigmahq_proxy_rule_matches_a_squid_line(tmp_path: Path, store: DuckDBEventStore) -> None:
    """SigmaHQ's `category: proxy` rules reach Squid's events through the pipelines: a raw
    paste fetched through the proxy is found, an ordinary page is not."""
    rule = ROOT / "rules/sigmahq/rules/web/proxy_generic/proxy_raw_paste_service_access.yml"
    catalog = load_catalog([rule], pipelines=[PIPELINES])
    assert catalog.errors == []
    paste = MISS.replace("http://www.example.com/a/b.php?x=1", "https://paste.ee/r/Xy12Ab")
    events = []
    for event_id, line in (("paste", paste), ("benign", MISS)):
        doc = parse_message(line)
        assert doc is not None
        doc["event"]["id"] = event_id
        events.append(stamp(doc, dataset="squid.access"))
    store.write_batch(events)
    rows = store.run_rule(
        catalog.compiled[0].sql,
        ingested_after=datetime(1970, 1, 1, tzinfo=UTC),
        ingested_until=store.now(),
    )
    assert [r["event_id"] for r in rows] == ["paste"]
