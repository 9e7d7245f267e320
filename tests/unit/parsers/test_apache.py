"""Apache/Nginx access lines (combined and common format) to ECS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.parsers import apache
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

# The combined-format example from the Apache httpd documentation (mod_log_config).
COMBINED = (
    '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?size=large HTTP/1.0" '
    '200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"'
)


def test_combined_line() -> None:
    doc = apache.parse(COMBINED)
    assert doc == {
        "event": {
            "module": "apache",
            "dataset": "apache.access",
            "kind": "event",
            "category": ["web"],
            "type": ["access"],
            "outcome": "success",
        },
        "@timestamp": "2000-10-10T20:55:36.000Z",
        "source": {"ip": "127.0.0.1"},
        "user": {"name": "frank"},
        "url": {
            "original": "/apache_pb.gif?size=large",
            "path": "/apache_pb.gif",
            "query": "size=large",
        },
        "http": {
            "version": "1.0",
            "request": {"method": "GET", "referrer": "http://www.example.com/start.html"},
            "response": {"status_code": 200, "body": {"bytes": 2326}},
        },
        "user_agent": {"original": "Mozilla/4.08 [en] (Win98; I ;Nav)"},
    }


def test_common_format_nginx_ipv6_and_dash_fields() -> None:
    doc = apache.parse('2001:db8::1 - - [05/Mar/2024:09:00:00 +0000] "POST /login HTTP/2.0" 401 -')
    assert doc is not None
    assert doc["source"] == {"ip": "2001:db8::1"}
    assert "user" not in doc
    assert doc["http"]["response"] == {"status_code": 401}
    assert doc["event"]["outcome"] == "failure"
    assert doc["url"] == {"original": "/login", "path": "/login"}


def test_escaped_quotes_and_garbage_request() -> None:
    doc = apache.parse(
        '198.51.100.4 - - [05/Mar/2024:09:00:00 +0700] "\\x16\\x03\\x01\\x00\\xa5" 400 226 '
        '"-" "sqlmap/1.7 (\\"x\\")"'
    )
    assert doc is not None
    assert "url" not in doc and "request" not in doc["http"]
    assert doc["http"]["response"]["status_code"] == 400
    assert doc["user_agent"]["original"] == 'sqlmap/1.7 (\\"x\\")'


def test_hostname_client_becomes_source_domain() -> None:
    doc = apache.parse('proxy.soyte.local - - [05/Mar/2024:09:00:00 +0700] "GET / HTTP/1.1" 200 1')
    assert doc is not None
    assert doc["source"] == {"domain": "proxy.soyte.local"}


def test_access_line_over_syslog() -> None:
    msg = parse_syslog(b"<190>Mar  5 10:00:00 web01 apache2: " + COMBINED.encode(),
                       received=datetime(2024, 3, 5, tzinfo=UTC))  # fmt: skip
    doc = to_ecs(msg, peer_ip="10.20.1.1")
    assert doc["event"]["dataset"] == "apache.access"
    assert doc["url"]["path"] == "/apache_pb.gif"
    assert doc["host"]["name"] == "web01"
    assert doc["message"] == COMBINED


@pytest.mark.parametrize(
    "line",
    [
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok",
        '127.0.0.1 - - [bad time] "GET / HTTP/1.1" abc 1',
        "GET / HTTP/1.1",
    ],
)
def test_non_access_lines(line: str) -> None:
    assert apache.parse(line) is None


def test_nginx_tag_makes_it_nginx_access_and_vhost_combined_names_the_site() -> None:
    doc = apache.parse(
        'portal.soyte.gov.vn:443 10.20.9.9 - - [05/Mar/2024:09:00:00 +0700] "GET /a?b=1 HTTP/1.1"'
        ' 200 5 "-" "curl/8.0" "203.0.113.7"',
        program="nginx",
    )
    assert doc is not None
    assert (doc["event"]["dataset"], doc["event"]["module"]) == ("nginx.access", "nginx")
    assert doc["url"]["domain"] == "portal.soyte.gov.vn"
    assert doc["destination"] == {"port": 443}
    assert doc["source"] == {"ip": "10.20.9.9"}
