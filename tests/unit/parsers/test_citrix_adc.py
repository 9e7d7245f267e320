"""Citrix NetScaler ADC / Gateway native syslog to `citrix_adc.log`: Gateway and AAA-TM log-ins,
failures and log-outs, administrators' commands and log-ins. Lines in the layout of NetScaler's
syslog message reference, with documentation addresses and made-up users."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

RECEIVED = datetime(2026, 3, 5, 12, tzinfo=UTC)
HEAD = "03/05/2026:10:00:01 GMT ns-soyte 0-PPE-0 : default"
LOGIN = (
    f"<134> {HEAD} SSLVPN LOGIN 7345 0 : Context alice@203.0.113.5 - SessionId: 51 - User alice"
    " - Client_ip 203.0.113.5 - Nat_ip 10.20.0.77 - Vserver 192.0.2.10:443 - Browser_type "
    '"Mozilla/5.0 (Windows NT 10.0; Win64; x64)" - SSLVPN_client_type Agent - Group(s) "VPN"'
)


def ecs(line: str) -> dict:
    return to_ecs(parse_syslog(line.encode(), received=RECEIVED), peer_ip="192.0.2.10")


def test_gateway_login_is_an_authentication_start_from_the_client() -> None:
    doc = ecs(LOGIN)
    assert doc["event"] == {
        "module": "citrix_adc",
        "dataset": "citrix_adc.log",
        "kind": "event",
        "action": "LOGIN",
        "category": ["authentication"],
        "type": ["start"],
        "outcome": "success",
    }
    assert doc["@timestamp"] == "2026-03-05T10:00:01.000Z"
    assert doc["source"] == {"ip": "203.0.113.5", "nat": {"ip": "10.20.0.77"}}
    assert doc["destination"] == {"ip": "192.0.2.10", "port": 443}
    assert doc["user"] == {"name": "alice"}
    assert doc["observer"]["vendor"] == "Citrix"
    assert doc["observer"]["type"] == "vpn"
    assert doc["observer"]["name"] == "ns-soyte"
    assert doc["citrix_adc"]["log"] == {
        "feature": "SSLVPN",
        "message_name": "LOGIN",
        "partition": "default",
        "session_id": "51",
    }
    assert doc["user_agent"] == {"original": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}
    assert doc["related"] == {"user": ["alice"], "ip": ["203.0.113.5", "10.20.0.77", "192.0.2.10"]}


def test_aaa_failure_names_user_client_and_reason() -> None:
    doc = ecs(
        f"<132> {HEAD} AAA LOGIN_FAILED 7346 0 : User bob - Client_ip 198.51.100.7 - "
        'Failure_reason "Invalid credentials" - Browser Chrome'
    )
    assert (doc["event"]["action"], doc["event"]["outcome"]) == ("LOGIN_FAILED", "failure")
    assert doc["event"]["category"] == ["authentication"]
    assert doc["event"]["reason"] == doc["error"]["message"] == "Invalid credentials"
    assert doc["source"] == {"ip": "198.51.100.7"}
    assert doc["user"] == {"name": "bob"}


def test_logout_of_a_pre_12_line_relayed_behind_a_header() -> None:
    doc = ecs(
        "<134>Mar  5 10:00:09 192.0.2.10  03/05/2026:10:00:08 GMT ns PPE-0 : SSLVPN LOGOUT 77 : "
        "Context carol@203.0.113.8 - SessionId: 6511- User SOYTE\\carol - Client_ip 203.0.113.8 "
        '- Nat_ip 10.20.0.9 - Vserver 192.0.2.10:443 - Duration 00:10:00  - LogoutMethod "Explicit"'
    )
    assert doc["event"]["type"] == ["end"]
    assert doc["event"]["action"] == "LOGOUT"
    assert doc["user"] == {"name": "carol", "domain": "SOYTE"}
    assert doc["citrix_adc"]["log"]["session_id"] == "6511"
    assert doc["@timestamp"] == "2026-03-05T10:00:08.000Z"


def test_aaatm_login_counts_as_a_login() -> None:
    doc = ecs(
        f"<134> {HEAD} AAATM LOGIN 80 0 : Context dave@203.0.113.9 - SessionId: 9 - User dave - "
        'Client_ip 203.0.113.9 - Nat_ip "Mapped Ip" - Vserver 192.0.2.11:443'
    )
    assert doc["event"]["outcome"] == "success"
    assert "nat" not in doc["source"]


@pytest.mark.parametrize(
    ("status", "outcome", "reason"),
    [('"Success"', "success", None), ('"ERROR: Invalid username or password"', "failure",
                                     "Invalid username or password")],
)  # fmt: skip
def test_administrator_login(status: str, outcome: str, reason: str | None) -> None:
    doc = ecs(
        f"<189> {HEAD} UI CMD_EXECUTED 90 0 : User nsroot - Remote_ip 198.51.100.20 - Command "
        f'"login nsroot \\"********\\"" - Status {status}'
    )
    assert doc["event"]["action"] == "admin-login"
    assert doc["event"]["category"] == ["authentication"]
    assert doc["event"]["outcome"] == outcome
    assert doc["event"].get("reason") == reason
    assert doc["source"] == {"ip": "198.51.100.20"}
    assert doc["user"] == {"name": "nsroot"}
    assert doc["citrix_adc"]["log"]["command"] == 'login nsroot "********"'


@pytest.mark.parametrize(
    ("command", "kind"),
    [("add lb vserver vs1 HTTP 192.0.2.20 80", ["change"]), ("show ns ip", ["access"])],
)
def test_administrator_commands_are_configuration_events(command: str, kind: list[str]) -> None:
    doc = ecs(
        f"<189> {HEAD} UI CMD_EXECUTED 91 0 : User nsroot - Remote_ip 198.51.100.20 - Command "
        f'"{command}" - Status "Success"'
    )
    assert doc["event"]["category"] == ["configuration"]
    assert doc["event"]["type"] == kind
    assert doc["citrix_adc"]["log"]["command"] == command


def test_other_native_lines_keep_feature_and_client() -> None:
    doc = ecs(
        f"<134> {HEAD} SSLVPN TCPCONNSTAT 92 0 : Context alice@203.0.113.5 - SessionId: 51 - "
        "User alice - Client_ip 203.0.113.5 - Nat_ip 10.20.0.77 - Vserver 192.0.2.10:443 - "
        "Source 203.0.113.5:50000 - Destination 10.20.1.5:445"
    )
    assert doc["event"]["dataset"] == "citrix_adc.log"
    assert "category" not in doc["event"]
    assert doc["citrix_adc"]["log"]["message_name"] == "TCPCONNSTAT"
    assert doc["source"]["ip"] == "203.0.113.5"


def test_day_first_and_local_clocks() -> None:
    day_first = ecs(LOGIN.replace("03/05/2026:10", "25/03/2026:10"))
    assert day_first["@timestamp"] == "2026-03-25T10:00:01.000Z"
    local = ecs(LOGIN.replace(" GMT ", " "))
    assert local["event"]["dataset"] == "citrix_adc.log"
    assert "@timestamp" not in local or local["@timestamp"] != "2026-03-05T10:00:01.000Z"


@pytest.mark.parametrize(
    "line",
    [
        "<134> 03/05/2026:10:00:01 GMT ns 0-PPE-0 : default",
        "<134> 03/05/2026:10:00:01 GMT ns 0-PPE-0 : default SSLVPN LOGIN 1 0 : Client_ip 999.1.1.1"
        " - Vserver nowhere:99999",
        "<134> 99/99/9999:99:99:99 GMT ns 0-PPE-0 : default AAA LOGIN_FAILED 1 0 : User",
        "<134> 03/05/2026 something with PPE-0 in it",
    ],
)
def test_malformed_lines_do_not_raise(line: str) -> None:
    doc = ecs(line)
    assert "message" in doc
