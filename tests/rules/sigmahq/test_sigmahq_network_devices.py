"""SigmaHQ's router and switch rules over Cisco IOS, Huawei VRP and Juniper Junos syslog, read
through the real path (`read_events`, a DuckDB event store, the shipped pipelines). Each rule
matches the lines written for what it looks for; Cisco's command-accounting rules read logged
commands only (a login by a user named `aaa-ops` is no command), and a Linux kernel's line is
no Juniper's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rule_matches import matches_by_rule

from collectors.files import read_events
from soc.rules import compile_rules, load_rules
from soc.storage import DuckDBEventStore

ROOT = Path(__file__).resolve().parents[3]
SIGMAHQ = ROOT / "rules" / "sigmahq"
RULES = [
    SIGMAHQ / "rules" / "network" / "cisco",
    SIGMAHQ / "rules" / "network" / "huawei",
    SIGMAHQ / "rules" / "network" / "juniper",
    SIGMAHQ / "rules-emerging-threats" / "2023" / "Exploits" / "CVE-2023-20198",
]

LINES = {
    "disable logging": "<189>62: R1: *Mar  5 10:00:01.000: %PARSER-5-CFGLOG_LOGGEDCMD: "
    "User:netops  logged command:no logging host 10.20.0.5",
    "new account": "<189>63: R1: *Mar  5 10:00:02.000: %PARSER-5-CFGLOG_LOGGEDCMD: "
    "User:netops  logged command:username backup privilege 15 secret 0 Xy12",
    "show run": "<189>64: R1: *Mar  5 10:00:03.000: %PARSER-5-CFGLOG_LOGGEDCMD: "
    "User:netops  logged command:interface GigabitEthernet0/1",
    "login": "<189>65: R1: *Mar  5 10:00:04.000: %SEC_LOGIN-5-LOGIN_SUCCESS: Login Success "
    "[user: aaa-ops] [Source: 10.20.4.9] [localport: 22] at 10:00:04 ICT Tue Mar 5 2024",
    "cisco bgp md5": "<187>Mar  5 10:00:05 10.20.0.1 66: Mar  5 10:00:05.120 ICT: "
    "%IP-TCP-3-BADAUTH: Invalid MD5 digest from 10.20.0.2:179 to 10.20.0.1:11003",
    "web ui implant": "<189>67: R1: *Mar  5 10:00:06.000: %SYS-5-CONFIG_P: Configured "
    "programmatically by process SEP_webui_wsma_http from console as cisco_tac_admin on vty31",
    "huawei bgp auth": "<187>Mar  5 2024 10:00:07 CE-CORE-1 %%01BGP/3/BGP_AUTH_FAILED(l):"
    "CID=0x807a0429;BGP authentication failed. (PeerAddress=10.20.0.6:179, VpnInstance=_public_)",
    "juniper bgp md5": "<28>Mar  5 10:00:08 mx-core /kernel: tcp_auth_ok: Packet from "
    "10.20.0.7:179 missing MD5 digest",
    "linux kernel": "<4>Mar  5 10:00:09 web01 kernel: TCP: 10.20.0.8:179 missing MD5 digest",
}


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[str]]]:
    """Rule id -> the names (keys of LINES) of the lines it matched."""
    folder = tmp_path_factory.mktemp("network")
    (folder / "devices.log").write_text("\n".join(LINES.values()) + "\n")
    catalog = compile_rules(load_rules(RULES), [ROOT / "rules" / "pipelines"])
    assert len(catalog.compiled) == 18 and not catalog.errors, catalog.errors
    store = DuckDBEventStore(folder / "events.duckdb")
    events = list(read_events([folder / "devices.log"]))
    assert len(events) == len(LINES)
    names = {event["event"]["id"]: name for event, name in zip(events, LINES, strict=True)}
    found = matches_by_rule(catalog, store, events, lambda e: names[e["event"]["id"]])
    yield found
    store.close()


def test_network_device_rules_match_the_lines_written_for_them(
    matched: dict[str, list[str]],
) -> None:
    assert matched == {
        "9e8f6035-88bf-4a63-96b6-b17c0508257e": ["disable logging"],  # Cisco Disabling Logging
        "6d844f0f-1c18-41af-8f19-33e7654edfc3": ["new account"],  # Cisco Local Accounts
        "56fa3cd6-f8d6-4520-a8c7-607292971886": ["cisco bgp md5"],  # Cisco BGP Auth Failures
        "2ece8816-b7a0-4d9b-b0e8-ae7ad18bc02b": ["web ui implant"],  # CVE-2023-20198
        "a557ffe6-ac54-43d2-ae69-158027082350": ["huawei bgp auth"],  # Huawei BGP Auth Failures
        "a7c0ae48-8df8-42bf-91bd-2ea57e2f9d43": ["juniper bgp md5"],  # Juniper BGP Missing MD5
    }
