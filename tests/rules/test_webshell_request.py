"""rules/soc/web/web_webshell_request.yml: answered requests to web shells or with cmd=/exec=."""

from __future__ import annotations

import pytest

from soc.model.event import Event

WEBSHELL = "f339a58b-8176-4934-8df6-5054d5696c9e"


def access(path: str, query: str = "", status: int = 200, *, event_id: str = "e1") -> Event:
    original = f"{path}?{query}" if query else path
    event: Event = {
        "@timestamp": "2026-11-20T09:12:44.000Z",
        "event": {"id": event_id, "dataset": "apache.access", "module": "apache"},
        "source": {"ip": "203.0.113.80"},
        "http": {
            "request": {"method": "GET"},
            "response": {"status_code": status, "body": {"bytes": 512}},
            "version": "1.1",
        },
        "url": {"original": original, "path": path},
        "user_agent": {"original": "curl/8.5.0"},
        "organization": {"id": "ubnd-huyen-a"},
    }
    if query:
        event["url"]["query"] = query
    return event


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/uploads/shell.php", "", 200),
        ("/images/c99.php", "act=ls", 200),
        ("/wp-content/r57.php", "", 200),
        ("/tmp/wso.php", "", 206),
        ("/portal/shell.jsp", "", 200),
        ("/aspnet_client/cmd.aspx", "", 200),
        ("/UPLOADS/SHELL.PHP", "", 200),
        ("/index.php", "cmd=whoami", 200),
        ("/index.php", "page=1&exec=id", 204),
        ("/index.php", "CMD=whoami", 200),
    ],
)
def test_answered_web_shell_requests_alert(run_rule, path: str, query: str, status: int) -> None:
    rows = run_rule(WEBSHELL, [access(path, query, status)])
    assert [(r["event_id"], r["entity"], r["organization_id"]) for r in rows] == [
        ("e1", "203.0.113.80", "ubnd-huyen-a")
    ]


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/uploads/shell.php", "", 404),
        ("/index.php", "cmd=whoami", 302),
        ("/index.php", "cmd=whoami", 500),
        ("/uploads/myshell.php", "", 200),
        ("/uploads/shell.php.bak", "", 200),
        ("/index.php", "command=ls", 200),
        ("/index.php", "page=1&xcmd=id", 200),
        ("/news/article.php", "id=42", 200),
    ],
)
def test_ordinary_or_refused_requests_do_not_alert(
    run_rule, path: str, query: str, status: int
) -> None:
    assert run_rule(WEBSHELL, [access(path, query, status)]) == []


def test_other_sources_do_not_alert(run_rule) -> None:
    syslog = access("/uploads/shell.php")
    syslog["event"]["dataset"] = "syslog"
    assert run_rule(WEBSHELL, [syslog]) == []


def test_only_the_matching_events_of_a_batch_are_returned(run_rule) -> None:
    events = [
        access("/index.php", "id=1", event_id="a"),
        access("/uploads/shell.php", event_id="b"),
        access("/uploads/shell.php", status=403, event_id="c"),
        access("/index.php", "cmd=dir", event_id="d"),
    ]
    assert sorted(r["event_id"] for r in run_rule(WEBSHELL, events)) == ["b", "d"]
