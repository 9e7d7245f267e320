"""sudo, su, PAM and account-management lines to `system.auth` (samples/linux_auth.log), and the
loghub Linux ground truth for the PAM lines of su and sshd."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from shared_data import SHARED_DATA

from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

SAMPLES = Path(__file__).parent / "samples"
RECEIVED = datetime(2024, 3, 5, 12, tzinfo=UTC)


def events() -> list[dict]:
    lines = (SAMPLES / "linux_auth.log").read_bytes().splitlines()
    return [to_ecs(parse_syslog(line, received=RECEIVED), peer_ip="10.20.1.5") for line in lines]


def test_every_sample_line_is_system_auth() -> None:
    docs = events()
    assert len(docs) == 12
    assert {d["event"]["dataset"] for d in docs} == {"system.auth"}
    assert all(d["event"]["module"] == "system" and d["host"]["name"] == "web01" for d in docs)


def test_sudo_command_names_who_ran_what_as_whom() -> None:
    ran, wrong_password, not_allowed = events()[:3]
    assert ran["process"] == {"name": "sudo", "command_line": "/usr/bin/systemctl restart nginx"}
    assert ran["user"] == {"name": "alice", "effective": {"name": "root"}}
    assert ran["system"]["auth"]["sudo"] == {
        "command": "/usr/bin/systemctl restart nginx",
        "tty": "pts/0",
        "pwd": "/home/alice",
    }
    assert (ran["event"]["outcome"], ran["event"]["category"]) == ("success", ["process"])
    assert wrong_password["event"]["outcome"] == "failure"
    assert wrong_password["system"]["auth"]["sudo"]["error"] == "3 incorrect password attempts"
    assert not_allowed["user"]["name"] == "mallory"
    assert not_allowed["system"]["auth"]["sudo"]["error"] == "user NOT in sudoers"
    assert not_allowed["process"]["command_line"] == "/usr/bin/cat /etc/shadow"


def test_pam_sessions_and_failures() -> None:
    docs = events()
    session, failure = docs[3], docs[4]
    assert session["event"]["action"] == "session_opened"
    assert session["event"]["category"] == ["session"]
    assert session["user"]["name"] == "root"
    assert session["related"]["user"] == ["alice", "root"]
    assert failure["event"]["action"] == "pam_authentication_failure"
    assert failure["event"]["outcome"] == "failure"
    assert failure["user"]["name"] == "bob"
    assert "source" not in failure  # empty rhost


def test_su_success_and_failure() -> None:
    switched, failed = events()[5:7]
    assert switched["user"] == {"name": "alice", "effective": {"name": "root"}}
    assert switched["event"]["outcome"] == "success"
    assert failed["user"] == {"name": "mallory", "effective": {"name": "root"}}
    assert failed["event"]["outcome"] == "failure"
    assert failed["process"]["pid"] == 4242


def test_account_management_is_iam() -> None:
    created, group, added, deleted, password = events()[7:]
    assert created["event"]["type"] == ["user", "creation"]
    assert created["user"] == {"name": "backdoor", "id": "1005"}
    assert group["group"] == {"name": "backdoor", "id": "1005"}
    assert (added["user"]["name"], added["group"]["name"]) == ("backdoor", "sudo")
    assert added["event"]["action"] == "user_added_to_group"
    assert deleted["event"]["type"] == ["user", "deletion"]
    assert password["event"]["action"] == "password_changed"
    assert password["user"]["name"] == "alice"
    assert all(d["event"]["category"] == ["iam"] for d in (created, group, added, deleted))


def test_loghub_su_pam_lines_match_ground_truth() -> None:
    """loghub's Linux sample: every `su(pam_unix)` session line names the user its template
    parameter names."""
    folder = SHARED_DATA / "syslog/loghub/Linux"
    lines = (folder / "Linux_2k.log").read_bytes().splitlines()
    with (folder / "Linux_2k.log_structured.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    checked = 0
    for line, row in zip(lines, rows, strict=True):
        if row["Component"] != "su(pam_unix)":
            continue
        doc = to_ecs(parse_syslog(line, received=RECEIVED), peer_ip="10.20.1.5")
        assert doc["event"]["dataset"] == "system.auth", row["LineId"]
        content = row["Content"]
        if content.startswith("session opened for user "):
            user = content.removeprefix("session opened for user ").split()[0]
            assert doc["event"]["action"] == "session_opened"
            assert doc["user"]["name"] == user
            checked += 1
        elif content.startswith("session closed for user "):
            assert doc["event"]["action"] == "session_closed"
            assert doc["user"]["name"] == content.split()[-1]
            checked += 1
    assert checked >= 50


def _auth_line(tag: str, text: str) -> dict:
    line = f"<86>Mar  5 11:02:03 web01 {tag}: {text}".encode()
    return to_ecs(parse_syslog(line, received=RECEIVED), peer_ip=None)


def test_group_membership_changes_of_gpasswd_and_userdel() -> None:
    """gpasswd -a / -d and userdel (shadow-utils) name the user and the group."""
    added = _auth_line("gpasswd[3301]", "user backdoor added by root to group sudo")
    removed = _auth_line("gpasswd[3302]", "user backdoor removed by root from group sudo")
    shadow = _auth_line("userdel[3303]", "delete 'backdoor' from shadow group 'adm'")
    assert added["event"]["action"] == "user_added_to_group"
    assert (added["user"]["name"], added["group"]["name"]) == ("backdoor", "sudo")
    for doc in (removed, shadow):
        assert doc["event"]["action"] == "user_removed_from_group"
        assert doc["event"]["category"] == ["iam"]
        assert doc["user"]["name"] == "backdoor"
    assert (removed["group"]["name"], shadow["group"]["name"]) == ("sudo", "adm")


def test_account_changes_and_failed_creation() -> None:
    changed = _auth_line(
        "usermod[3310]", "change user 'svc_web' shell from '/sbin/nologin' to '/bin/bash'"
    )
    locked = _auth_line("usermod[3311]", "lock user 'svc_web' password")
    expiry = _auth_line("chage[3312]", "changed password expiry for svc_web")
    failed = _auth_line("useradd[3313]", "failed adding user 'backdoor', exit code: 9")
    for doc in (changed, locked, expiry):
        assert doc["event"]["action"] == "user_changed"
        assert doc["event"]["type"] == ["user", "change"]
        assert doc["user"] == {"name": "svc_web"}
    assert failed["event"]["action"] == "user_created"
    assert failed["event"]["outcome"] == "failure"
    assert failed["user"] == {"name": "backdoor"}


def test_unix_chkpwd_failure_is_an_authentication_failure() -> None:
    doc = _auth_line("unix_chkpwd[3320]", "password check failed for user (alice)")
    assert doc["event"]["dataset"] == "system.auth"
    assert doc["event"]["action"] == "pam_authentication_failure"
    assert doc["event"]["outcome"] == "failure"
    assert doc["user"] == {"name": "alice"}
    assert doc["process"] == {"name": "unix_chkpwd", "pid": 3320}
