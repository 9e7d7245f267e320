"""Password guessing against Active Directory: the Windows failures of
rules/soc/network/mr_remote_access_brute_force.yml (4625 on the server tried, 4771 and 4768 on
the domain controllers) and rules/soc/windows/mr_windows_accounts_locked_out.yml (4740). The
events are NXLog's JSON over syslog through the parsers, and a real Kerberos brute force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shared_data import SHARED_DATA
from syslog_event import syslog_event

from collectors.files import read_events
from soc.model.event import Event
from soc.rules import Catalog

BRUTE_FORCE = "dcfc2931-f723-4eee-ac2d-a2530e6d9bf2"
SPRAYING = "518ab95f-6254-4072-ae98-b4b96975ba6c"
SUCCESS_AFTER = "225a14cb-7df0-47fa-8536-fd1ba0f7b151"
LOCKED_OUT = "d95bf5a9-4b2f-423c-8ef4-7de1205780bb"
LOCKED_OUT_BASE = "aafa2eee-e7e7-44b9-9946-d2fc4830050a"
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ATTACKER = "203.0.113.5"
KERBEROS_BRUTE_FORCE = (
    SHARED_DATA / "evtx" / "hayabusa-sample-evtx" / "EVTX-to-MITRE-Attack"
    / "TA0006-Credential Access" / "T1110.xxx-Brut force"
    / "ID4768-4771-Kerberos brutforce with non existing users.evtx"
)  # fmt: skip

# NXLog im_msvistalog records, to_json(), over syslog; at 20 November 2026 {t} UTC.
_HEADER = (
    '<14>Nov 20 {t} {host} Microsoft-Windows-Security-Auditing[560]: {{"EventTime": '
    '"2026-11-20 {t}", "Hostname": "{host}.soyte.local", "SourceName": '
    '"Microsoft-Windows-Security-Auditing", "ProcessID": 560, "Channel": "Security", '
)
RDP = _HEADER.replace("{host}", "RDS01") + (
    '"EventID": {id}, "TargetUserName": "{user}", "TargetDomainName": "SOYTE", '
    '"Status": "0xc000006d", "SubStatus": "0xc000006a", "LogonType": "{type}", '
    '"LogonProcessName": "NtLmSsp", "AuthenticationPackageName": "NTLM", '
    '"WorkstationName": "KALI", "IpAddress": "{src}", "IpPort": "0"}}'
)
KERBEROS = _HEADER.replace("{host}", "DC01") + (
    '"EventID": {id}, "TargetUserName": "{user}", "TargetSid": "S-1-5-21-1111-2222-3333-1104", '
    '"ServiceName": "krbtgt/SOYTE.LOCAL", "TicketOptions": "0x40810010", "Status": "{status}", '
    '"PreAuthType": "2", "IpAddress": "::ffff:{src}", "IpPort": "51234"}}'
)
NTLM = _HEADER.replace("{host}", "DC01") + (
    '"EventID": 4776, "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", '
    '"TargetUserName": "{user}", "Workstation": "KALI", "Status": "{status}"}}'
)
LOCKOUT = _HEADER + (
    '"EventID": 4740, "TargetUserName": "{user}", "TargetDomainName": "RDS01", '
    '"TargetSid": "S-1-5-21-1111-2222-3333-1104", "SubjectUserSid": "S-1-5-18", '
    '"SubjectUserName": "{host}$", "SubjectDomainName": "SOYTE", "SubjectLogonId": "0x3e7"}}'
)
GUESSES = {
    "rdp": RDP.replace("{id}", "4625").replace("{type}", "10"),
    "smb": RDP.replace("{id}", "4625").replace("{type}", "3"),
    "kerberos_wrong_password": KERBEROS.replace("{id}", "4771").replace("{status}", "0x18"),
    "kerberos_account_locked": KERBEROS.replace("{id}", "4771").replace("{status}", "0x12"),
    "kerberos_unknown_account": KERBEROS.replace("{id}", "4768").replace("{status}", "0x6"),
    "kerberos_disabled_account": KERBEROS.replace("{id}", "4768").replace("{status}", "0x12"),
}
NO_GUESSES = {
    "kerberos_clock_skew": KERBEROS.replace("{id}", "4771").replace("{status}", "0x25"),
    "kerberos_password_expired": KERBEROS.replace("{id}", "4771").replace("{status}", "0x17"),
    "kerberos_smart_card": KERBEROS.replace("{id}", "4771").replace("{status}", "0x10"),
    "kerberos_ticket_granted": KERBEROS.replace("{id}", "4768").replace("{status}", "0x0"),
    # A wrong password over NTLM: no address, and the 4625 of the server tried counts it.
    "ntlm_wrong_password": NTLM.replace("{status}", "0xc000006a"),
    "ntlm_unknown_account": NTLM.replace("{status}", "0xc0000064"),
}


def line_event(template: str, second: int, user: str = "nguyen.van.a", **values: str) -> Event:
    moment = (START + timedelta(seconds=second)).strftime("%H:%M:%S")
    line = template.format(t=moment, user=user, **{"src": ATTACKER, **values})
    return syslog_event(line, received=RECEIVED)


def guesses(kind: str, count: int = 10, *, start: int = 0, src: str = ATTACKER) -> list[Event]:
    return [line_event(GUESSES[kind], start + i * 10, src=src) for i in range(count)]


def lockouts(users: int, *, host: str = "DC01", step: int = 60) -> list[Event]:
    template = LOCKOUT.replace("{host}", host)
    return [line_event(template, i * step, f"user{i:02d}") for i in range(users)]


@pytest.mark.parametrize("kind", GUESSES)
def test_every_guess_is_a_failure_from_the_attackers_ipv4_address(kind: str) -> None:
    event = line_event(GUESSES[kind], 0)
    assert event["source"]["ip"] == ATTACKER
    assert event["user"]["name"] == "nguyen.van.a"
    assert event["event"]["outcome"] == "failure"
    assert event["event"]["category"] == ["authentication"]


@pytest.mark.parametrize("kind", GUESSES)
def test_ten_guesses_alert_and_nine_do_not(run_rule, kind: str) -> None:
    assert run_rule(BRUTE_FORCE, guesses(kind, 9)) == []
    rows = run_rule(BRUTE_FORCE, guesses(kind, 1, start=90))
    assert [(r["group_key"], r["match_count"]) for r in rows] == [(ATTACKER, 10)]


def test_kerberos_and_rdp_guesses_from_one_address_count_together(run_rule) -> None:
    events = [
        *guesses("rdp", 4),
        *guesses("kerberos_wrong_password", 3, start=1),
        *guesses("kerberos_unknown_account", 2, start=2),
        *guesses("smb", 1, start=3),
    ]
    assert [r["match_count"] for r in run_rule(BRUTE_FORCE, events)] == [10]


@pytest.mark.parametrize("kind", NO_GUESSES)
def test_kerberos_and_ntlm_events_that_are_no_counted_guess_do_not_count(run_rule, kind) -> None:
    others = [line_event(NO_GUESSES[kind], 100 + i) for i in range(5)]
    assert run_rule(BRUTE_FORCE, guesses("kerberos_wrong_password", 9) + others) == []


def test_a_kerberos_spray_is_spraying(run_rule) -> None:
    template = GUESSES["kerberos_wrong_password"]
    events = [line_event(template, i * 300, f"user{i:02d}") for i in range(5)]
    rows = run_rule(SPRAYING, events)
    assert [(r["group_key"], r["value_count"]) for r in rows] == [(ATTACKER, 5)]


def test_an_rdp_log_on_after_kerberos_guessing_alerts(run_rule) -> None:
    success = line_event(RDP.replace("{id}", "4624").replace("{type}", "10"), 1800)
    assert success["event"]["outcome"] == "success"
    rows = run_rule(SUCCESS_AFTER, [*guesses("kerberos_wrong_password"), success])
    assert [r["group_key"] for r in rows] == [ATTACKER]
    assert success["event"]["id"] in rows[0]["event_ids"]


def test_a_real_kerberos_brute_force_from_one_address(run_rule) -> None:
    """46 unknown names (4768 0x6), a disabled account (4768 0x12) and two wrong passwords
    (4771 0x18) from 10.23.123.11, written `::ffff:10.23.123.11` by the domain controller,
    within seconds; its three tickets granted (4768 0x0) are no failures."""
    events = list(read_events([KERBEROS_BRUTE_FORCE]))
    rows = run_rule(BRUTE_FORCE, events)
    assert [(r["group_key"], r["match_count"]) for r in rows] == [("10.23.123.11", 49)]
    assert [r["group_key"] for r in run_rule(SPRAYING, [])] == ["10.23.123.11"]


def test_five_accounts_locked_out_alert(run_rule) -> None:
    events = lockouts(5)
    assert events[0]["user"]["target"]["name"] == "user00"
    assert events[0]["source"]["domain"] == "RDS01"
    rows = run_rule(LOCKED_OUT, events)
    assert [(r["group_key"], r["value_count"]) for r in rows] == [("dc01.soyte.local", 5)]


def test_four_accounts_locked_out_again_and_again_do_not_alert(run_rule) -> None:
    events = [e for _ in range(3) for e in lockouts(4)]
    assert run_rule(LOCKED_OUT, events) == []


def test_lock_outs_over_more_than_half_an_hour_do_not_alert(run_rule) -> None:
    assert run_rule(LOCKED_OUT, lockouts(5, step=451)) == []


def test_lock_outs_are_counted_per_computer_that_logged_them(run_rule) -> None:
    events = lockouts(3, host="DC01") + lockouts(2, host="DC02")
    assert run_rule(LOCKED_OUT, events) == []


def test_a_lock_out_is_no_alert_on_its_own(shipped: Catalog) -> None:
    assert shipped.get(LOCKED_OUT) is not None
    assert shipped.get(LOCKED_OUT_BASE) is None
