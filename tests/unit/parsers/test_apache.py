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


def test_site_without_its_port_before_the_client() -> None:
    """`%v %h ...` (and nginx's `$host $remote_addr`): four fields before the time."""
    doc = apache.parse('www.example.org 192.0.2.7 - - [05/Mar/2024:09:00:00 +0700] "GET / HTTP/1.1"'
                       ' 200 32953 "-" "curl/8.0"')  # fmt: skip
    assert doc is not None
    assert doc["source"] == {"ip": "192.0.2.7"}
    assert doc["url"] == {"domain": "www.example.org", "original": "/", "path": "/"}
    ident = apache.parse(
        '192.0.2.7 ident-user - [05/Mar/2024:09:00:00 +0700] "GET / HTTP/1.1" 200 1'
    )
    assert ident is not None and ident["source"] == {"ip": "192.0.2.7"} and "url" in ident
    assert ident["url"] == {"original": "/", "path": "/"}


@pytest.mark.parametrize(
    ("line", "client", "chain"),
    [
        # nginx `log_format` with `$http_x_forwarded_for` in front: the first public address
        (
            "10.0.0.2, 203.0.113.5, 10.0.0.1 - - [05/Mar/2024:09:00:00 +0700] "
            '"GET /a HTTP/1.1" 200 5 "-" "curl/8.0"',
            "203.0.113.5",
            ["10.0.0.2", "203.0.113.5", "10.0.0.1"],
        ),
        (
            '"10.5.1.2, 198.51.100.9" 10.2.1.185 - - [05/Mar/2024:09:00:00 +0000] "GET /a HTTP/1.1"'
            ' 200 5 "-" "Amazon CloudFront"',
            "198.51.100.9",
            ["10.5.1.2", "198.51.100.9", "10.2.1.185"],
        ),
        (
            "www.example.org:80 10.0.0.2, 10.0.0.1 - - [05/Mar/2024:09:00:00 +0700] "
            '"GET /a HTTP/1.1" 200 5 "-" "curl/8.0"',
            "10.0.0.2",
            ["10.0.0.2", "10.0.0.1"],
        ),
    ],
)
def test_proxy_chain_before_the_client(line: str, client: str, chain: list[str]) -> None:
    doc = apache.parse(line, program="nginx")
    assert doc is not None
    assert doc["source"] == {"ip": client}
    assert doc["nginx"]["access"]["remote_ip_list"] == chain
    assert doc["http"]["response"]["status_code"] == 200


def test_unix_socket_peer_is_no_source() -> None:
    doc = apache.parse('www.example.org:80 unix: - - [05/Mar/2024:09:00:00 +0100] "hello" 400 173'
                       ' "-" "-"', program="nginx")  # fmt: skip
    assert doc is not None
    assert "source" not in doc
    assert doc["destination"] == {"port": 80}


# filebeat/module/apache/access/test/ssl-request.log, elastic/beats, Apache-2.0
SSL_REQUEST = (
    '[10/Aug/2018:09:45:56 +0200] 172.30.0.119 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 "GET '
    "/nagiosxi/ajaxhelper.php?cmd=getxicoreajax&amp;opts=%7B%22func%22%3A%22get_admin_tasks_html"
    "%22%2C%22args%22%3A%22%22%7D&amp;nsp=b5c7d5d4b6f7d0cf0c92f9cbdf737f6a5c838218425e6ae21 "
    'HTTP/1.1" 1375'
)


def test_mod_ssl_request_log() -> None:
    doc = apache.parse(SSL_REQUEST)
    assert doc is not None
    assert doc["@timestamp"] == "2018-08-10T07:45:56.000Z"
    assert doc["source"] == {"ip": "172.30.0.119"}
    assert doc["tls"] == {"version": "1.2", "version_protocol": "tls",
                          "cipher": "ECDHE-RSA-AES128-GCM-SHA256"}  # fmt: skip
    assert doc["url"]["path"] == "/nagiosxi/ajaxhelper.php"
    assert doc["http"] == {"request": {"method": "GET"}, "version": "1.1",
                           "response": {"body": {"bytes": 1375}}}  # fmt: skip
    read_from_a_file = to_ecs(parse_syslog(SSL_REQUEST.encode(), received=datetime.now(UTC)),
                              peer_ip=None)  # fmt: skip
    assert read_from_a_file["event"]["dataset"] == "apache.access"
    unknown = apache.parse('[10/Aug/2018:09:45:56 +0200] 192.0.2.1 - - "-" -')
    assert unknown is not None and "tls" not in unknown
