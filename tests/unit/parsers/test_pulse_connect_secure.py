"""Ivanti (Pulse) Connect Secure syslog to `pulse_connect_secure.log`, in its Standard and WELF
layouts: log-ins, the primary and secondary authentication steps, the auth server's failure,
log-outs and administrators. Lines in the wording of Ivanti's message reference, with
documentation addresses and made-up users."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

RECEIVED = datetime(2026, 3, 5, 12, tzinfo=UTC)
STANDARD = "2026-03-05 10:00:01 - ive - [{ip}] {user}({realm})[{roles}] - {text}"
WELF = (
    'id=firewall time="2026-03-05 10:00:01" pri=6 fw=192.0.2.10 vpn=ive user={user} '
    'realm="{realm}" roles="{roles}" proto= src={ip} dst= dstname= type=vpn op= arg="" result= '
    'sent= rcvd= agent="" duration= msg="{text}"'
)


def ecs(body: str, tag: str = "PulseSecure: ") -> dict:
    line = f"<134>Mar  5 10:00:01 ics-soyte {tag}{body}".encode()
    return to_ecs(parse_syslog(line, received=RECEIVED), peer_ip="192.0.2.10")


def line(layout: str, text: str, *, user: str = "alice", realm: str = "Users", roles: str = "",
         ip: str = "203.0.113.5") -> str:  # fmt: skip
    return layout.format(user=user, realm=realm, roles=roles, ip=ip, text=text)


def test_welf_login_success() -> None:
    doc = ecs(
        line(WELF, "AUT24414: Login succeeded for alice/Users (session:0a1b2c3d) from "
             "203.0.113.5 with Pulse-Secure/9.1.14 (Windows 10).", roles="Staff, VPN")
    )  # fmt: skip
    assert doc["event"] == {
        "module": "pulse_connect_secure",
        "dataset": "pulse_connect_secure.log",
        "kind": "event",
        "code": "AUT24414",
        "category": ["authentication"],
        "type": ["start"],
        "action": "logged-in",
        "outcome": "success",
    }
    assert doc["source"] == {"ip": "203.0.113.5"}
    assert doc["user"] == {"name": "alice", "roles": ["Staff", "VPN"]}
    assert doc["pulse_connect_secure"] == {"realm": "Users", "session_id": "0a1b2c3d"}
    assert doc["observer"] == {"vendor": "Ivanti", "product": "Connect Secure", "type": "vpn",
                               "name": "ive", "ip": "192.0.2.10"}  # fmt: skip
    assert doc["user_agent"] == {"original": "Pulse-Secure/9.1.14 (Windows 10)"}
    assert doc["message"].startswith("AUT24414: Login succeeded")
    assert doc["related"] == {"user": ["alice"], "ip": ["203.0.113.5"]}


@pytest.mark.parametrize("layout", [STANDARD, WELF])
def test_primary_authentication_failure_is_the_attempt(layout: str) -> None:
    doc = ecs(line(layout, "Primary authentication failed for bob/Users from 198.51.100.7",
                   user="bob", ip="198.51.100.7"))  # fmt: skip
    assert doc["event"]["action"] == "primary-authentication-failed"
    assert (doc["event"]["outcome"], doc["event"]["type"]) == ("failure", ["start"])
    assert doc["user"]["name"] == "bob"
    assert doc["source"] == {"ip": "198.51.100.7"}


def test_auth_server_failure_is_the_same_attempt_told_again() -> None:
    doc = ecs(line(STANDARD, "Login failed using auth server AD-SOYTE (Active Directory).  "
                   "Reason: Failed", user="SOYTE\\bob"))  # fmt: skip
    assert doc["event"]["action"] == "login-failed"
    assert doc["event"]["type"] == ["info"]
    assert doc["event"]["reason"] == doc["error"]["message"] == "Failed"
    assert doc["user"] == {"name": "bob", "domain": "SOYTE"}


def test_secondary_step_and_primary_success_are_not_logins_of_their_own() -> None:
    primary = ecs(line(STANDARD, "Primary authentication successful for alice/Users from "
                       "203.0.113.5"))  # fmt: skip
    assert (primary["event"]["action"], primary["event"]["type"]) == (
        "primary-authentication-succeeded",
        ["info"],
    )
    second = ecs(line(WELF, "AUT24327: Secondary authentication failed for alice/Users from "
                      "203.0.113.5"))  # fmt: skip
    assert second["event"]["action"] == "secondary-authentication-failed"


def test_login_sentence_ending_with_the_address() -> None:
    doc = ecs(line(STANDARD, "Login succeeded for alice/Users (session:0a1b2c3d) from 203.0.113.5.",
                   ip="198.51.100.99"))  # fmt: skip
    assert doc["source"] == {"ip": "203.0.113.5"}


def test_logout_ends_the_session() -> None:
    doc = ecs(line(STANDARD, "Logout from 203.0.113.5 (session:0a1b2c3d)"), tag="Juniper: ")
    assert (doc["event"]["action"], doc["event"]["type"]) == ("logged-out", ["end"])
    assert doc["source"] == {"ip": "203.0.113.5"}
    assert doc["user"]["name"] == "alice"


def test_administrator_login_keeps_the_admin_realm() -> None:
    doc = ecs(line(WELF, "ADM22668: Login succeeded for admin/Admin Users (session:00000000) "
                   "from 198.51.100.20.", user="admin", realm="Admin Users"))  # fmt: skip
    assert doc["event"]["action"] == "logged-in"
    assert doc["event"]["code"] == "ADM22668"
    assert doc["pulse_connect_secure"]["realm"] == "Admin Users"


def test_ipv4_mapped_client_and_untagged_line() -> None:
    doc = ecs(
        line(STANDARD, "Primary authentication failed for bob/Users from ::ffff:198.51.100.7",
             user="bob", ip="::ffff:198.51.100.7"), tag=""
    )  # fmt: skip
    assert doc["event"]["dataset"] == "pulse_connect_secure.log"
    assert doc["source"] == {"ip": "198.51.100.7"}


def test_untagged_welf_line() -> None:
    doc = ecs(line(WELF, "AUT22673: Logout from 203.0.113.5 (session:0a1b2c3d)"), tag="")
    assert doc["event"]["action"] == "logged-out"


def test_system_lines_name_no_user() -> None:
    doc = ecs(line(STANDARD, "Number of concurrent users (3) fell below ...", user="System",
                   realm="", ip="127.0.0.1"))  # fmt: skip
    assert doc["event"]["dataset"] == "pulse_connect_secure.log"
    assert "user" not in doc
    assert "category" not in doc["event"]


@pytest.mark.parametrize(
    "body",
    ["", "id=firewall", 'id=firewall vpn= msg="', "2026-03-05 10:00:01 - ive - [", "random text",
     line(STANDARD, "Login succeeded for /from  from nowhere", ip="999.1.1.1")],
)  # fmt: skip
def test_malformed_lines_do_not_raise(body: str) -> None:
    assert "message" in ecs(body)


def test_sonicwall_welf_is_not_claimed() -> None:
    doc = ecs('id=firewall sn=0017C5000000 time="2026-03-05 10:00:01" fw=192.0.2.1 pri=6 c=0 '
              'm=98 msg="Connection Opened"', tag="")  # fmt: skip
    assert doc.get("event", {}).get("dataset") != "pulse_connect_secure.log"


def test_another_product_under_a_vendor_tag_goes_on_to_the_other_parsers() -> None:
    doc = ecs("CEF:0|Juniper|SRX|12.3|RT_FLOW|session denied|5|src=203.0.113.5 dst=192.0.2.20",
              tag="Juniper: ")  # fmt: skip
    assert doc["event"]["dataset"] == "cef.log"
