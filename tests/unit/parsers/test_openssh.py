"""OpenSSH lines to ECS, checked against loghub's 2,000 real lines and their ground truth."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime

import pytest
from shared_data import SHARED_DATA

from collectors.parsers import openssh
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

LOGHUB = SHARED_DATA / "syslog/loghub"
RECEIVED = datetime(2024, 3, 5, tzinfo=UTC)

# loghub template id -> (outcome, ssh event, method, names of the template's <*> slots)
LOGIN_TEMPLATES = {
    "E1": ("success", "Accepted", "password", ("user", "ip", "port")),
    "E8": ("failure", "Failed", "none", ("user", "ip", "port")),
    "E9": ("failure", "Failed", "password", ("user", "ip", "port")),
    "E10": ("failure", "Failed", "password", ("user", "ip", "port")),
    "E13": ("failure", "Invalid", None, ("user", "ip")),
    "E14": ("failure", "Failed", "password", ("count", "ip", "port")),
}


def template_values(template: str, content: str) -> list[str]:
    """The <*> slots of a loghub template, read from the ground-truth content."""
    pattern = re.escape(template).replace(re.escape("<*>"), "(.*?)")
    match = re.fullmatch(pattern, content.strip())
    assert match, (template, content)
    return list(match.groups())


def loghub_events(name: str) -> list[tuple[dict, dict[str, str]]]:
    folder = LOGHUB / name
    lines = (folder / f"{name}_2k.log").read_bytes().splitlines()
    with (folder / f"{name}_2k.log_structured.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [
        (to_ecs(parse_syslog(raw, received=RECEIVED), peer_ip="10.20.0.1"), row)
        for raw, row in zip(lines, rows, strict=True)
    ]


def test_every_login_line_of_the_ground_truth_is_extracted() -> None:
    checked = 0
    for doc, row in loghub_events("OpenSSH"):
        assert doc["event"]["dataset"] == "system.auth"
        assert doc["process"]["name"] == "sshd"
        assert doc["process"]["pid"] == int(row["Pid"])
        if row["EventId"] not in LOGIN_TEMPLATES:
            continue
        outcome, ssh_event, method, slots = LOGIN_TEMPLATES[row["EventId"]]
        values = dict(
            zip(slots, template_values(row["EventTemplate"], row["Content"]), strict=True)
        )
        where = f"line {row['LineId']}: {row['Content']}"
        assert doc["event"]["action"] == "ssh_login", where
        assert doc["event"]["outcome"] == outcome, where
        assert doc["event"]["category"] == ["authentication"], where
        assert doc["system"]["auth"]["ssh"]["event"] == ssh_event, where
        assert doc["system"]["auth"]["ssh"].get("method") == method, where
        assert doc["user"]["name"] == values.get("user", "root"), where
        assert doc["source"]["ip"] == values["ip"], where
        if "port" in values:
            # E14's last slot is `<port> ssh2` (the template drops the `ssh2`)
            assert doc["source"]["port"] == int(values["port"].split()[0]), where
        checked += 1
    # 383 + 135 Failed password, 113 Invalid user, 4 Failed none, 2 repeated, 1 Accepted
    assert checked == 638


def test_pam_failures_of_the_ground_truth_carry_host_and_user() -> None:
    checked = 0
    for doc, row in loghub_events("OpenSSH"):
        if row["EventId"] not in ("E19", "E20"):
            continue
        values = template_values(row["EventTemplate"], row["Content"])
        assert doc["event"]["action"] == "pam_authentication_failure"
        assert doc["event"]["outcome"] == "failure"
        rhost = values[2].strip()  # loghub keeps PAM's trailing space
        assert doc["source"].get("ip", doc["source"].get("domain")) == rhost
        if row["EventId"] == "E20":
            assert doc["user"]["name"] == values[3].strip()
        else:
            assert "user" not in doc
        checked += 1
    assert checked == 494


def test_linux_sshd_pam_lines_are_auth_events() -> None:
    events = loghub_events("Linux")
    sshd = [(doc, row) for doc, row in events if row["Component"] == "sshd(pam_unix)"]
    assert len(sshd) == 677
    assert all(doc["event"]["dataset"] == "system.auth" for doc, _ in sshd)
    failures = [doc for doc, row in sshd if row["Content"].startswith("authentication failure")]
    assert failures
    for doc in failures:
        assert doc["event"]["outcome"] == "failure"
        assert doc["source"]  # rhost: an IP or a resolved name
    others = [doc for doc, row in events if "pam_unix" not in row["Component"]]
    assert all("dataset" not in doc.get("event", {}) for doc in others)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Accepted publickey for an.nguyen from 10.20.3.4 port 51234 ssh2: "
            "RSA SHA256:Yt0X1q2w3e4r5t6y7u8i9o0p",
            {"outcome": "success", "method": "publickey", "user": "an.nguyen", "port": 51234},
        ),
        (
            "Failed keyboard-interactive/pam for invalid user oracle from 2001:db8::7 port 40022",
            {"outcome": "failure", "method": "keyboard-interactive/pam", "user": "oracle",
             "ip": "2001:db8::7"},
        ),
        (
            "Invalid user test from 203.0.113.9 port 38810",
            {"outcome": "failure", "ssh_event": "Invalid", "user": "test", "port": 38810},
        ),
        (
            "Failed password for invalid from 203.0.113.9 port 1 ssh2",  # user named `invalid`
            {"outcome": "failure", "user": "invalid"},
        ),
    ],
)  # fmt: skip
def test_modern_openssh_lines(line: str, expected: dict) -> None:
    doc = openssh.parse(line, program="sshd", pid="99")
    assert doc is not None
    assert doc["event"]["action"] == "ssh_login"
    assert doc["event"]["outcome"] == expected["outcome"]
    assert doc["user"]["name"] == expected["user"]
    assert doc["process"] == {"name": "sshd", "pid": 99}
    if "method" in expected:
        assert doc["system"]["auth"]["ssh"]["method"] == expected["method"]
    if "ssh_event" in expected:
        assert doc["system"]["auth"]["ssh"]["event"] == expected["ssh_event"]
    if "ip" in expected:
        assert doc["source"]["ip"] == expected["ip"]
    if "port" in expected:
        assert doc["source"]["port"] == expected["port"]


def test_connection_closed_by_authenticating_user() -> None:
    doc = openssh.parse(
        "Connection closed by authenticating user root 198.51.100.7 port 50122 [preauth]",
        program="sshd-session",
    )
    assert doc is not None
    assert doc["event"]["action"] == "ssh_connection_closed"
    assert doc["event"]["category"] == ["authentication"]
    assert doc["system"]["auth"]["ssh"]["event"] == "Closed"
    assert doc["user"] == {"name": "root"}
    assert doc["source"] == {"ip": "198.51.100.7", "port": 50122}


def test_connection_closed_without_user_is_network_only() -> None:
    doc = openssh.parse("Connection closed by 198.51.100.7 [preauth]", program="sshd")
    assert doc is not None
    assert doc["event"]["category"] == ["network"]
    assert doc["source"] == {"ip": "198.51.100.7"}
    assert "user" not in doc


def test_other_programs_are_not_sshd() -> None:
    line = "Failed password for root from 10.0.0.1 port 22 ssh2"
    assert openssh.parse(line, program="sshd-keygen") is None
    assert openssh.parse(line, program=None) is None
    assert openssh.parse(line, program="su") is None


def test_peer_lines_of_the_ground_truth_carry_the_address() -> None:
    """loghub's disconnects (E6, E7, E24-E26), scanners that never spoke SSH (E3), failed
    reverse lookups (E27) and PAM's `N more authentication failures` (E15-E17) name the peer."""
    checked = 0
    for doc, row in loghub_events("OpenSSH"):
        eid = row["EventId"]
        if eid not in ("E3", "E6", "E7", "E15", "E16", "E17", "E24", "E25", "E26", "E27"):
            continue
        values = template_values(row["EventTemplate"], row["Content"])
        if eid in ("E15", "E16", "E17"):
            assert doc["event"]["action"] == "pam_authentication_failure"
            assert doc["event"]["outcome"] == "failure"
            assert doc["source"].get("ip", doc["source"].get("domain")) == values[3].strip()
            if eid == "E17":
                assert doc["user"]["name"] == "root"
        elif eid == "E27":
            assert doc["source"] == {"ip": values[1], "domain": values[0]}
        else:
            assert doc["source"]["ip"] == values[0]
            assert doc["event"]["category"] == ["network"]
        checked += 1
    assert checked == 10 + 2 + 45 + 2 + 6 + 2 + 413 + 7 + 1 + 85


@pytest.mark.parametrize(
    ("line", "source", "action"),
    [
        (
            "Received disconnect from 198.51.100.7 port 50122:11: Bye Bye [preauth]",
            {"ip": "198.51.100.7", "port": 50122},
            "ssh_connection_closed",
        ),
        (
            "Received disconnect from 198.51.100.7: 11: disconnected by user",  # OpenSSH < 7.4
            {"ip": "198.51.100.7"},
            "ssh_connection_closed",
        ),
        (
            "error: Received disconnect from 2001:db8::5 port 40022:3: Auth fail [preauth]",
            {"ip": "2001:db8::5", "port": 40022},
            "ssh_connection_closed",
        ),
        (
            "Did not receive identification string from 203.0.113.50 port 61000",
            {"ip": "203.0.113.50", "port": 61000},
            None,
        ),
    ],
)  # fmt: skip
def test_disconnects_and_dropped_connections_name_the_peer(
    line: str, source: dict, action: str | None
) -> None:
    doc = openssh.parse(line, program="sshd", pid="811")
    assert doc is not None
    assert doc["source"] == source
    assert doc["event"]["category"] == ["network"]
    assert doc["event"].get("action") == action
    if action is None:
        assert doc["system"]["auth"]["ssh"]["dropped_ip"] == source["ip"]


def test_sshd_pam_sessions_are_sessions() -> None:
    """sshd's own parser reads its `pam_unix(sshd:session)` lines, as PAM's for other programs."""
    opened = openssh.parse(
        "pam_unix(sshd:session): session opened for user an.nguyen(uid=1001) by (uid=0)",
        program="sshd",
        pid="2805",
    )
    closed = openssh.parse("session closed for user an.nguyen", program="sshd(pam_unix)")
    assert opened is not None and closed is not None
    assert opened["event"]["action"] == "session_opened"
    assert opened["event"]["category"] == ["session"]
    assert opened["user"] == {"name": "an.nguyen"}
    assert opened["process"] == {"name": "sshd", "pid": 2805}
    assert closed["event"]["action"] == "session_closed"
    assert closed["user"] == {"name": "an.nguyen"}


def test_pam_summary_of_more_failures() -> None:
    doc = openssh.parse(
        "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= "
        "rhost=203.0.113.9  user=root",
        program="sshd",
    )
    assert doc is not None
    assert doc["event"]["action"] == "pam_authentication_failure"
    assert doc["event"]["outcome"] == "failure"
    assert doc["user"] == {"name": "root"}
    assert doc["source"] == {"ip": "203.0.113.9"}


@pytest.mark.parametrize(
    ("line", "user", "source"),
    [
        (
            "Disconnecting authenticating user root 203.0.113.9 port 40022: "
            "Too many authentication failures [preauth]",
            "root",
            {"ip": "203.0.113.9", "port": 40022},
        ),
        (
            "Disconnecting invalid user admin 2001:db8::9 port 5555: "
            "Too many authentication failures [preauth]",
            "admin",
            {"ip": "2001:db8::9", "port": 5555},
        ),
        (
            "Disconnected from user an.nguyen 198.51.100.7 port 50122",  # a logged-in user's end
            "an.nguyen",
            {"ip": "198.51.100.7", "port": 50122},
        ),
    ],
)  # fmt: skip
def test_disconnects_that_name_the_user(line: str, user: str, source: dict) -> None:
    doc = openssh.parse(line, program="sshd-session", pid="7001")
    assert doc is not None
    assert doc["event"]["action"] == "ssh_connection_closed"
    assert doc["event"]["category"] == ["authentication"]
    assert doc["user"] == {"name": user}
    assert doc["source"] == source
