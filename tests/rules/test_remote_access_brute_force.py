"""rules/soc/network/mr_remote_access_brute_force.yml and mr_network_device_admin_brute_force.yml:
failed remote-access log-ins per source, across vendors. The events are the parsers' own, from
lines in each vendor's format, so the tests also hold the parsers to marking a log-in the ECS way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from syslog_event import syslog_event

from soc.model.event import Event
from soc.rules import Catalog

BRUTE_FORCE = "dcfc2931-f723-4eee-ac2d-a2530e6d9bf2"
SPRAYING = "518ab95f-6254-4072-ae98-b4b96975ba6c"
SUCCESS_AFTER = "225a14cb-7df0-47fa-8536-fd1ba0f7b151"
ADMIN = "9953dbea-5e5c-47f8-bbc7-28243dc9e445"
SSH_BRUTE_FORCE = "a18ed328-a35d-43ad-830b-1483954ae5fc"
BASE_RULES = (
    "b57e958a-cc62-4562-8106-2990587d8a57",  # the failure burst inside SUCCESS_AFTER
    "34dcefe9-dc01-4827-aa3b-7827030a6723",  # the successes inside SUCCESS_AFTER
    "f205629e-5e54-4b23-ad69-6dceffe4c3ae",
    "dc10ec87-2493-49e2-996f-94588279bc78",
)
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ATTACKER = "203.0.113.9"

# One failed log-in per vendor at 20 November 2026 {t} UTC, from {src} as {user}.
WINDOWS = (
    '<14>Nov 20 {t} RDS01 Microsoft-Windows-Security-Auditing[560]: {{"EventTime": '
    '"2026-11-20 {t}", "Hostname": "RDS01.soyte.local", "EventID": {id}, "SourceName": '
    '"Microsoft-Windows-Security-Auditing", "ProcessID": 560, "Channel": "Security", '
    '"TargetUserName": "{user}", "TargetDomainName": "SOYTE", "Status": "0xc000006d", '
    '"LogonType": "{type}", "LogonProcessName": "NtLmSsp", "AuthenticationPackageName": "NTLM", '
    '"WorkstationName": "KALI", "IpAddress": "{src}", "IpPort": "0"}}'
)
GLOBALPROTECT = (
    "<14>Nov 20 {t} PA-SOYTE-01 1,2026/11/20 {t},012801000001,GLOBALPROTECT,0,2561,2026/11/20 "
    "{t},vsys1,{event},login,LDAP,SSLVPN,soyte\\{user},VN,LAPTOP-TTB,{src},,0.0.0.0,,,,6.2.1,"
    'Windows,"Microsoft Windows 10 Pro , 64-bit",1,,,,{status},,0,on-demand,0,GP-PORTAL,7101,'
    "0x8000000000000000,2026-11-20T{t}.123+07:00,,,,,,0,0,0,0,,PA-SOYTE-01,1,"
)
# Ivanti Connect Secure's Standard and WELF layouts; a NetScaler administrator's `login` command.
IVANTI = (
    "<134>Nov 20 {t} ics-soyte PulseSecure: 2026-11-20 {t} - ive - [{src}] {user}({realm})[] - "
    "{text}"
)
IVANTI_WELF = (
    '<134>Nov 20 {t} ics-soyte PulseSecure: id=firewall time="2026-11-20 {t}" pri=6 '
    'fw=192.0.2.10 vpn=ive user={user} realm="{realm}" roles="" proto= src={src} dst= dstname= '
    'type=vpn op= arg="" result= sent= rcvd= agent="" duration= msg="{text}"'
)
CITRIX_UI = (
    "<189> 11/20/2026:{t} GMT ns-soyte 0-PPE-0 : default UI CMD_EXECUTED 4322 0 : User {user} - "
    'Remote_ip {src} - Command "login {user} \\"********\\"" - Status "{status}"'
)
FAILURES = {
    "fortigate_sslvpn": (
        '<190>date=2026-11-20 time={t} devname="FG-SOYTE" devid="FG100F" logid="0101039426" '
        'type="event" subtype="vpn" level="alert" vd="root" logdesc="SSL VPN login fail" '
        'action="ssl-login-fail" tunneltype="ssl-web" tunnelid=0 remip={src} user="{user}" '
        'group="N/A" dst_host="N/A" reason="sslvpn_login_permission_denied" '
        'msg="SSL user failed to logged in"'
    ),
    "fortigate_admin": (
        '<189>date=2026-11-20 time={t} devname="FG-SOYTE" devid="FG100F" logid="0100032002" '
        'type="event" subtype="system" level="alert" vd="root" logdesc="Admin login failed" '
        'sn="0" user="{user}" ui="https({src})" method="https" srcip={src} dstip=192.0.2.1 '
        'action="login" status="failed" reason="passwd_invalid" msg="Administrator {user} login '
        'failed from https({src}) because of invalid password"'
    ),
    "asa_anyconnect": (
        "<166>Nov 20 2026 {t} asa-fw : %ASA-6-716039: Group <DfltGrpPolicy> User <{user}> "
        "IP <{src}> Authentication: rejected, Session Type: WebVPN."
    ),
    "asa_admin": (
        "<166>Nov 20 2026 {t} asa-fw : %ASA-6-605004: Login denied from {src}/51515 to "
        'outside:192.0.2.1/ssh for user "{user}"'
    ),
    "sophos_vpn": (
        '<30>device="SFW" date=2026-11-20 time={t} timezone="+00" device_name="XG230" '
        'device_id=C01001K234RXPA1 log_id=063110617702 log_type="Event" '
        'log_component="SSL VPN Authentication" log_subtype="Authentication" status="Failed" '
        'priority=Information user_name="{user}" auth_client="SSLVPN" auth_mechanism="Local" '
        'src_ip={src} message="User {user} failed to login to SSLVPN through Local '
        'authentication mechanism because of wrong credentials"'
    ),
    "sophos_admin": (
        '<29>device="SFW" date=2026-11-20 time={t} timezone="+00" device_name="XG230" '
        'device_id=C01001K234RXPA1 log_id=062910617502 log_type="Event" log_component="GUI" '
        'log_subtype="Admin" status="Failed" priority=Notice user_name="{user}" src_ip={src} '
        'message="User {user} failed to login to Web admin console from {src} because of wrong '
        'credentials"'
    ),
    "openvpn": (
        "<29>Nov 20 {t} vpn01 openvpn[4242]: {src}:51234 TLS Auth Error: Auth Username/Password "
        "verification failed for peer"
    ),
    "checkpoint_vpn": (
        '<134>1 2026-11-20T{t}Z cp-gw-hue CheckPoint 15190 - [action:"Failed Log In"; flags:"0"; '
        'ifdir:"inbound"; loguid:"{{0x1,0x0,0x1,0x2}}"; origin:"10.30.0.1"; '
        'product:"Mobile Access"; src:"{src}"; user:"{user}"; auth_method:"Password"; '
        'reason:"Wrong password"]'
    ),
    "checkpoint_admin": (
        '<134>1 2026-11-20T{t}Z cp-mgmt CheckPoint 15190 - [action:"Log In"; flags:"0"; '
        'loguid:"{{0x1,0x0,0x1,0x3}}"; origin:"10.30.0.2"; product:"SmartConsole"; '
        'administrator:"{user}"; client_ip:"{src}"; src:"{src}"; operation:"Log In"; '
        'audit_status:"Failure"; additional_info:"Administrator failed to log in: Wrong Password"]'
    ),
    "cisco_ios": (
        "<189>123: Nov 20 {t}.123 UTC: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: {user}] "
        "[Source: {src}] [localport: 22] [Reason: Login Authentication Failed] at {t} UTC "
        "Fri Nov 20 2026"
    ),
    # Huawei VRP 8: the SSH server's verdict; VRP 5's command line, for a Telnet log-in.
    "huawei_ssh": (
        "<189>Nov 20 2026 {t} CE-SOYTE-1 %%01SSH/5/SSH_USER_LOGIN_FAIL(s)[31]:CID=0x80932723; "
        "The SSH user failed to login. (ServiceType=stelnet, FailedReason=Password "
        "authentication failed, UserName={user}, UserAddress={src}, LocalAddress=192.0.2.1, "
        "VPNInstanceName=_public_.)"
    ),
    "huawei_telnet": (
        "<188>Nov 20 2026 {t} S5735-SOYTE %%01SHELL/4/LOGINFAILED(s)[32]:Failed to login. "
        "(Ip={src}, UserName={user}, Times=1, AccessType=TELNET, VpnName=)"
    ),
    # Junos: sshd on an MX, in stream mode; sshd on a vSRX, structured; Telnet's login.
    "junos_ssh": (
        "<37>Nov 20 {t} mx-soyte sshd[4139]: SSHD_LOGIN_FAILED: Login failed for user '{user}' "
        "from host '{src}'"
    ),
    "junos_srx_ssh_structured": (
        "<37>1 2026-11-20T{t}.589Z srx-soyte sshd - SSHD_LOGIN_FAILED [junos@2636.1.1.1.2.129 "
        'username="{user}" source-address="{src}"] Login failed for user \'{user}\' from host '
        "'{src}'"
    ),
    "junos_telnet": (
        "<37>Nov 20 {t} ex-soyte login[4140]: LOGIN_FAILED: Login failed for user {user} from "
        "host {src}"
    ),
    "panos_globalprotect": GLOBALPROTECT.replace("{event}", "portal-auth").replace(
        "{status}", "failure"
    ),
    # An authentication profile's verdict; an administrator's reads the same.
    "panos_system": (
        "<14>Nov 20 {t} PA-SOYTE-01 1,2026/11/20 {t},012801000001,SYSTEM,auth,2561,2026/11/20 "
        "{t},,auth-fail,,0,0,general,medium,\"failed authentication for user '{user}'.   Reason: "
        "Invalid username/password. auth profile 'GP-LDAP', vsys 'vsys1', server profile "
        "'LDAP-SOYTE', server address '192.0.2.10', From: {src}.\",7203,0x0,0,0,0,0,,"
        "PA-SOYTE-01,0,0,2026-11-20T{t}.000+07:00"
    ),
    "windows": WINDOWS.replace("{id}", "4625").replace("{type}", "3"),
    "ivanti_standard": IVANTI.replace("{realm}", "Users").replace(
        "{text}", "Primary authentication failed for {user}/Users from {src}"
    ),
    "ivanti_welf": IVANTI_WELF.replace("{realm}", "Users").replace(
        "{text}", "AUT24327: Primary authentication failed for {user}/Users from {src}"
    ),
    "ivanti_admin": IVANTI.replace("{realm}", "Admin Users").replace(
        "{text}", "Primary authentication failed for {user}/Admin Users from {src}"
    ),
    "citrix_gateway": (
        "<132> 11/20/2026:{t} GMT ns-soyte 0-PPE-0 : default AAA LOGIN_FAILED 4321 0 : User {user} "
        '- Client_ip {src} - Failure_reason "Invalid credentials" - Browser Chrome'
    ),
    "citrix_admin": CITRIX_UI.replace("{status}", "ERROR: Invalid username or password"),
}
ADMIN_VENDORS = ["fortigate_admin", "asa_admin", "sophos_admin", "checkpoint_admin", "cisco_ios",
                 "huawei_ssh", "huawei_telnet", "junos_ssh", "junos_srx_ssh_structured",
                 "junos_telnet", "ivanti_admin", "citrix_admin"]  # fmt: skip
NAMED = [vendor for vendor in FAILURES if vendor != "openvpn"]  # OpenVPN names no user here
SUCCESSES = {
    "fortigate_tunnel": (
        '<190>date=2026-11-20 time={t} devname="FG-SOYTE" devid="FG100F" logid="0101039424" '
        'type="event" subtype="vpn" level="information" vd="root" logdesc="SSL VPN tunnel up" '
        'action="tunnel-up" tunneltype="ssl-tunnel" tunnelid=1 remip={src} '
        'tunnelip=10.212.134.200 user="{user}" group="vpn-users" dst_host="N/A" reason="N/A" '
        'msg="SSL tunnel established"'
    ),
    "fortigate_admin": (
        '<189>date=2026-11-20 time={t} devname="FG-SOYTE" devid="FG100F" logid="0100032001" '
        'type="event" subtype="system" level="information" vd="root" '
        'logdesc="Admin login successful" sn="1" user="{user}" ui="https({src})" method="https" '
        'srcip={src} dstip=192.0.2.1 action="login" status="success" reason="none" '
        'profile="super_admin" msg="Administrator {user} logged in successfully from https({src})"'
    ),
    "asa_anyconnect": (
        "<166>Nov 20 2026 {t} asa-fw : %ASA-6-113039: Group <vpn-staff> User <{user}> IP <{src}> "
        "AnyConnect parent session started."
    ),
    "sophos_vpn": FAILURES["sophos_vpn"]
    .replace('status="Failed"', 'status="Successful"')
    .replace("log_id=063110617702", "log_id=063110617710")
    .replace("failed to login to SSLVPN", "authenticated successfully to login to SSLVPN")
    .replace(" because of wrong credentials", ""),
    "openvpn": (
        "<29>Nov 20 {t} vpn01 openvpn[4242]: {src}:51234 TLS: Username/Password authentication "
        "succeeded for username '{user}'"
    ),
    "cisco_ios": (
        "<189>124: Nov 20 {t}.123 UTC: %SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: {user}] "
        "[Source: {src}] [localport: 22] at {t} UTC Fri Nov 20 2026"
    ),
    "huawei_ssh": (
        "<189>Nov 20 2026 {t} CE-SOYTE-1 %%01SSH/5/SSH_USER_LOGIN(s)[33]:CID=0x80932722; The SSH "
        "user succeeded in logging in. (ServiceType=stelnet, UserName={user}, UserAddress={src}, "
        "LocalAddress=192.0.2.1, VPNInstanceName=_public_.)"
    ),
    "junos_cli": (
        "<38>Nov 20 {t} mx-soyte mgd[4141]: UI_LOGIN_EVENT: User '{user}' login, class "
        "'j-super-user' [4141], ssh-connection '{src} 51234 192.0.2.1 22', client-mode 'cli'"
    ),
    "junos_telnet": (
        "<38>Nov 20 {t} ex-soyte login[4142]: LOGIN_INFORMATION: User {user} logged in from host "
        "{src} on device ttyp0"
    ),
    "panos_globalprotect": GLOBALPROTECT.replace("{event}", "gateway-auth").replace(
        "{status}", "success"
    ),
    "windows": WINDOWS.replace("{id}", "4624").replace("{type}", "10"),
    "ivanti": IVANTI_WELF.replace("{realm}", "Users").replace(
        "{text}", "AUT24414: Login succeeded for {user}/Users (session:0a1b2c3d) from {src}."
    ),
    "citrix_gateway": (
        "<134> 11/20/2026:{t} GMT ns-soyte 0-PPE-0 : default SSLVPN LOGIN 4323 0 : Context "
        "{user}@{src} - SessionId: 51 - User {user} - Client_ip {src} - Nat_ip 10.20.0.77 - "
        'Vserver 192.0.2.10:443 - Browser_type "Mozilla/5.0" - SSLVPN_client_type Agent - '
        'Group(s) "VPN"'
    ),
    "citrix_admin": CITRIX_UI.replace("{status}", "Success"),
}
# What the same devices log around a log-in that is no refused log-in of its own.
NOT_FAILURES = {
    "fortigate_denied_traffic": (
        '<189>date=2026-11-20 time={t} devname="FG-SOYTE" devid="FG100F" logid="0000000013" '
        'type="traffic" subtype="forward" level="notice" vd="root" srcip={src} srcport=40000 '
        'srcintf="wan1" dstip=10.20.1.10 dstport=443 dstintf="lan" proto=6 action="deny" '
        'policyid=0 service="HTTPS"'
    ),
    "fortigate_admin_logout": (
        '<189>date=2026-11-20 time={t} devname="FG-SOYTE" devid="FG100F" logid="0100032003" '
        'type="event" subtype="system" level="information" vd="root" '
        'logdesc="Admin logout successful" user="{user}" ui="https({src})" srcip={src} '
        'action="logout" status="success" msg="Administrator {user} logged out from https({src})"'
    ),
    # The ASA's AAA layer repeating a refused AnyConnect or management log-in, name hidden.
    "asa_aaa_server": (
        "<166>Nov 20 2026 {t} asa-fw : %ASA-6-113005: AAA user authentication Rejected : "
        "reason = AAA failure : server = 10.20.1.10 : user = ***** : user IP = {src}"
    ),
    "asa_aaa_local": (
        "<166>Nov 20 2026 {t} asa-fw : %ASA-6-113015: AAA user authentication Rejected : "
        "reason = Invalid password : local database : user = ***** : user IP = {src}"
    ),
    "asa_user_authentication": (
        "<166>Nov 20 2026 {t} asa-fw : %ASA-6-611102: User authentication failed: IP address: "
        "{src}, Uname: {user}"
    ),
    "asa_denied_connection": (
        "<164>Nov 20 2026 {t} asa-fw : %ASA-4-106023: Deny tcp src outside:{src}/51515 "
        'dst inside:10.20.1.5/443 by access-group "outside_access_in" [0x0, 0x0]'
    ),
    "openvpn_auth_failed_notice": (
        "<29>Nov 20 {t} vpn01 openvpn[4242]: {src}:51234 SENT CONTROL [UNDEF]: 'AUTH_FAILED' "
        "(status=1)"
    ),
    "openvpn_certificate_rejected": (
        "<29>Nov 20 {t} vpn01 openvpn[4242]: {src}:51234 VERIFY ERROR: depth=0, "
        "error=certificate has expired: CN={user}"
    ),
    # OpenSSH's own line for an attempt Junos's sshd logs as SSHD_LOGIN_FAILED too.
    "junos_openssh_companion": (
        "<38>Nov 20 {t} mx-soyte sshd[4139]: Failed password for {user} from {src} port 51515 ssh2"
    ),
    "junos_attempts_threshold": (
        "<37>Nov 20 {t} mx-soyte sshd[4139]: SSHD_LOGIN_ATTEMPTS_THRESHOLD: Threshold for "
        "unsuccessful authentication attempts (3) reached by user '{user}'"
    ),
    "junos_logout": "<38>Nov 20 {t} mx-soyte mgd[4141]: UI_LOGOUT_EVENT: User '{user}' logout",
    # VRP 8's command line repeating an SSH failure the SSH server logged (SSH_USER_LOGIN_FAIL).
    "huawei_command_line_ssh": (
        "<189>Nov 20 2026 {t} NE-SOYTE %%01CLI/5/LOGINFAILED(s):CID=0x807a0002;The user failed "
        "to log in to VTY0. (UserType=SSH, UserName={user}, RemoteIp={src}, VpnName=, "
        "Reason=Authentication failed, LocalIp=192.0.2.1)"
    ),
    "huawei_ssh_logout": (
        "<189>Nov 20 2026 {t} CE-SOYTE-1 %%01SSH/5/SSH_USER_LOGOUT(s)[34]:The SSH user logged "
        "out. (ServiceType=stelnet, LogoutReason=User log out, UserName={user}, UserAddress={src}, "
        "LocalAddress=192.0.2.1, VPNInstanceName=_public_.)"
    ),
    "huawei_ip_blocked": (
        "<188>Nov 20 2026 {t} CE-SOYTE-1 %%01SSH/4/SSHS_IP_BLOCK_CLIENT(l):SSH client IP blocked "
        "due to authentication failure in last 5 minute(s). (IpAddress={src}, VpnName=_public_, "
        "BlockCount=1)"
    ),
    "cisco_ios_bgp_md5": (
        "<187>125: Nov 20 {t}.123 UTC: %TCP-6-BADAUTH: No MD5 digest from {src}(179) to "
        "192.0.2.1(34567) (RST) tableid - 0"
    ),
    "windows_interactive": WINDOWS.replace("{id}", "4625").replace("{type}", "2"),
    # Ivanti's auth server repeating the primary failure; a second factor refused.
    "ivanti_auth_server_repeat": IVANTI.replace("{realm}", "Users").replace(
        "{text}", "Login failed using auth server AD-SOYTE (Active Directory).  Reason: Failed"
    ),
    "ivanti_secondary": IVANTI.replace("{realm}", "Users").replace(
        "{text}", "Secondary authentication failed for {user}/Users from {src}"
    ),
    "citrix_logout": (
        "<134> 11/20/2026:{t} GMT ns-soyte 0-PPE-0 : default SSLVPN LOGOUT 4324 0 : Context "
        "{user}@{src} - SessionId: 51 - User {user} - Client_ip {src} - Nat_ip 10.20.0.77 - "
        'Vserver 192.0.2.10:443 - LogoutMethod "Explicit"'
    ),
}
SSHD = (
    "<38>Nov 20 {t} portal-so-tttt sshd[811]: Failed password for {user} from {src} port 51515 ssh2"
)


def line_event(template: str, src: str, second: int, user: str = "nguyen.van.a") -> Event:
    moment = (START + timedelta(seconds=second)).strftime("%H:%M:%S")
    return syslog_event(template.format(t=moment, src=src, user=user), received=RECEIVED)


def failures(
    vendor: str, src: str = ATTACKER, count: int = 10, *, start: int = 0, step: int = 10
) -> list[Event]:
    return [line_event(FAILURES[vendor], src, start + i * step) for i in range(count)]


def sprayed(vendor: str, users: int, src: str = ATTACKER, *, tries: int = 1) -> list[Event]:
    """`tries` failed log-ins for each of `users` accounts, a minute apart."""
    names = [f"user{n:02d}" for n in range(users)] * tries
    return [line_event(FAILURES[vendor], src, i * 60, name) for i, name in enumerate(names)]


def test_the_parsers_mark_every_failure_the_ecs_way() -> None:
    for vendor, template in FAILURES.items():
        event = line_event(template, ATTACKER, 0)
        assert event["source"]["ip"] == ATTACKER, vendor
        assert event["event"]["outcome"] == "failure", vendor
        assert "authentication" in event["event"]["category"], vendor
        if vendor in NAMED:
            assert event["user"]["name"] == "nguyen.van.a", vendor


@pytest.mark.parametrize("vendor", FAILURES)
def test_ten_failures_from_one_source_alert_on_every_vendor(run_rule, vendor) -> None:
    events = failures(vendor)
    rows = run_rule(BRUTE_FORCE, events)
    assert len(rows) == 1
    assert rows[0]["group_key"] == ATTACKER
    assert rows[0]["match_count"] == 10
    assert rows[0]["event_ids"] == [e["event"]["id"] for e in events]


@pytest.mark.parametrize("vendor", FAILURES)
def test_nine_failures_stay_below_the_threshold(run_rule, vendor) -> None:
    assert run_rule(BRUTE_FORCE, failures(vendor, count=9)) == []


def test_failures_on_several_vendors_count_together(run_rule) -> None:
    events = [
        *failures("fortigate_sslvpn", count=3),
        *failures("asa_anyconnect", count=3, start=1),
        *failures("windows", count=3, start=2),
        *failures("panos_globalprotect", count=1, start=40),
    ]
    assert [r["match_count"] for r in run_rule(BRUTE_FORCE, events)] == [10]


def test_sources_are_counted_separately(run_rule) -> None:
    events = failures("fortigate_sslvpn") + failures("fortigate_sslvpn", "198.51.100.4", 9)
    assert [r["group_key"] for r in run_rule(BRUTE_FORCE, events)] == [ATTACKER]


def test_two_sources_over_the_threshold_give_two_rows(run_rule) -> None:
    events = failures("sophos_vpn", count=12) + failures("asa_anyconnect", "198.51.100.4")
    rows = run_rule(BRUTE_FORCE, events)
    assert sorted((r["group_key"], r["match_count"]) for r in rows) == [
        ("198.51.100.4", 10),
        (ATTACKER, 12),
    ]


def test_ten_failures_within_ten_minutes_alert_at_the_edge(run_rule) -> None:
    # The first and the tenth exactly 600 s apart: both ends of the window are in it.
    events = failures("fortigate_sslvpn", count=9, step=60) + failures(
        "fortigate_sslvpn", count=1, start=600
    )
    assert [r["match_count"] for r in run_rule(BRUTE_FORCE, events)] == [10]


def test_ten_failures_over_more_than_ten_minutes_do_not_alert(run_rule) -> None:
    events = failures("fortigate_sslvpn", count=9, step=60) + failures(
        "fortigate_sslvpn", count=1, start=601
    )
    assert run_rule(BRUTE_FORCE, events) == []


@pytest.mark.parametrize("vendor", SUCCESSES)
def test_successful_logins_do_not_count(run_rule, vendor) -> None:
    successes = [line_event(SUCCESSES[vendor], ATTACKER, 100 + i) for i in range(5)]
    assert run_rule(BRUTE_FORCE, failures("fortigate_sslvpn", count=9) + successes) == []


@pytest.mark.parametrize("kind", NOT_FAILURES)
def test_other_events_of_the_same_devices_do_not_count(run_rule, kind) -> None:
    others = [line_event(NOT_FAILURES[kind], ATTACKER, 100 + i) for i in range(5)]
    assert run_rule(BRUTE_FORCE, failures("asa_anyconnect", count=9) + others) == []


@pytest.mark.parametrize(
    ("vendor", "repeat"),
    [
        ("junos_ssh", "junos_openssh_companion"),
        ("huawei_ssh", "huawei_command_line_ssh"),
        ("ivanti_admin", "ivanti_auth_server_repeat"),
    ],
)
def test_a_network_device_attempt_logged_twice_counts_once(run_rule, vendor, repeat) -> None:
    """Junos's sshd writes OpenSSH's line beside its own; VRP 8's command line may repeat the
    SSH server's verdict; Ivanti's auth server repeats the primary authentication's failure:
    ten attempts are ten, for the brute force and the administrator rule."""
    events = [
        *failures(vendor),
        *[line_event(NOT_FAILURES[repeat], ATTACKER, i * 10) for i in range(10)],
    ]
    assert [r["match_count"] for r in run_rule(BRUTE_FORCE, events)] == [10]
    assert [r["match_count"] for r in run_rule(ADMIN, [])] == [10]


def test_an_srx_log_in_is_a_junos_event_not_a_firewall_one() -> None:
    """The firewall base rule reads `juniper.srx`; an SRX's log-ins are `juniper.junos` lines,
    which only the Juniper base rule counts, so no failure counts twice."""
    event = line_event(FAILURES["junos_srx_ssh_structured"], ATTACKER, 0)
    assert event["event"]["dataset"] == "juniper.junos"


def test_sshd_failures_are_left_to_the_ssh_rule(run_rule) -> None:
    sshd = [line_event(SSHD, ATTACKER, 100 + i) for i in range(10)]
    assert run_rule(BRUTE_FORCE, failures("fortigate_sslvpn", count=9) + sshd) == []
    # The same lines, already stored, are the SSH rule's brute force.
    assert [r["match_count"] for r in run_rule(SSH_BRUTE_FORCE, [])] == [10]


@pytest.mark.parametrize("vendor", NAMED)
def test_five_user_names_from_one_source_are_spraying(run_rule, vendor) -> None:
    rows = run_rule(SPRAYING, sprayed(vendor, 5))
    assert [(r["group_key"], r["value_count"]) for r in rows] == [(ATTACKER, 5)]


def test_four_user_names_are_not_spraying_however_often_tried(run_rule) -> None:
    assert run_rule(SPRAYING, sprayed("fortigate_sslvpn", 4, tries=5)) == []


def test_spraying_is_counted_per_source_and_across_vendors(run_rule) -> None:
    events = [
        *sprayed("fortigate_sslvpn", 3),
        *[line_event(FAILURES["panos_system"], ATTACKER, 300 + i, f"other{i}") for i in range(2)],
        *sprayed("sophos_vpn", 4, "198.51.100.4"),
    ]
    rows = run_rule(SPRAYING, events)
    assert [(r["group_key"], r["value_count"]) for r in rows] == [(ATTACKER, 5)]


def test_five_user_names_within_exactly_half_an_hour_are_spraying(run_rule) -> None:
    events = [line_event(FAILURES["asa_anyconnect"], ATTACKER, i * 450, f"u{i}") for i in range(5)]
    assert [r["value_count"] for r in run_rule(SPRAYING, events)] == [5]


def test_user_names_spread_over_more_than_half_an_hour_are_not_spraying(run_rule) -> None:
    events = [line_event(FAILURES["asa_anyconnect"], ATTACKER, i * 451, f"u{i}") for i in range(5)]
    assert run_rule(SPRAYING, events) == []


def test_failures_that_name_no_user_add_no_name(run_rule) -> None:
    events = [*sprayed("windows", 4), *failures("openvpn", count=10, start=5)]
    assert run_rule(SPRAYING, events) == []


@pytest.mark.parametrize("vendor", SUCCESSES)
def test_a_success_after_a_brute_force_alerts(run_rule, vendor) -> None:
    success = line_event(SUCCESSES[vendor], ATTACKER, 1800)
    rows = run_rule(SUCCESS_AFTER, [*failures("fortigate_sslvpn"), success])
    assert len(rows) == 1
    assert rows[0]["group_key"] == ATTACKER
    assert success["event"]["id"] in rows[0]["event_ids"]


def test_a_success_before_the_brute_force_is_not_after_it(run_rule) -> None:
    success = line_event(SUCCESSES["sophos_vpn"], ATTACKER, 0)
    assert run_rule(SUCCESS_AFTER, [success, *failures("sophos_vpn", start=10)]) == []


def test_a_success_without_a_brute_force_does_not_alert(run_rule) -> None:
    success = line_event(SUCCESSES["asa_anyconnect"], ATTACKER, 200)
    assert run_rule(SUCCESS_AFTER, [*failures("asa_anyconnect", count=9), success]) == []


def test_a_windows_network_logon_is_no_success_here(run_rule) -> None:
    """4624 of logon type 3 is every share access of a domain: only RDP's type 10 counts."""
    template = WINDOWS.replace("{id}", "4624").replace("{type}", "3")
    success = line_event(template, ATTACKER, 200)
    assert run_rule(SUCCESS_AFTER, [*failures("windows"), success]) == []


def test_a_success_from_another_source_does_not_alert(run_rule) -> None:
    success = line_event(SUCCESSES["fortigate_tunnel"], "198.51.100.4", 200)
    assert run_rule(SUCCESS_AFTER, [*failures("fortigate_sslvpn"), success]) == []


def test_a_success_more_than_an_hour_later_does_not_alert(run_rule) -> None:
    success = line_event(SUCCESSES["openvpn"], ATTACKER, 90 + 3601)
    assert run_rule(SUCCESS_AFTER, [*failures("openvpn"), success]) == []


@pytest.mark.parametrize("vendor", ADMIN_VENDORS)
def test_five_failed_administrator_logins_alert(run_rule, vendor) -> None:
    rows = run_rule(ADMIN, failures(vendor, count=5))
    assert [(r["group_key"], r["match_count"]) for r in rows] == [(ATTACKER, 5)]


@pytest.mark.parametrize("vendor", ADMIN_VENDORS)
def test_four_failed_administrator_logins_do_not_alert(run_rule, vendor) -> None:
    assert run_rule(ADMIN, failures(vendor, count=4)) == []


@pytest.mark.parametrize("vendor", sorted(set(FAILURES) - set(ADMIN_VENDORS)))
def test_vpn_and_windows_failures_are_no_administrators(run_rule, vendor) -> None:
    assert run_rule(ADMIN, failures(vendor, count=4) + failures("cisco_ios", count=4)) == []


def test_administrator_failures_on_several_devices_count_together(run_rule) -> None:
    events = [*failures("fortigate_admin", count=2), *failures("asa_admin", count=2, start=1),
              *failures("cisco_ios", count=1, start=2)]  # fmt: skip
    assert [r["match_count"] for r in run_rule(ADMIN, events)] == [5]


def test_administrator_failures_over_more_than_ten_minutes_do_not_alert(run_rule) -> None:
    assert run_rule(ADMIN, failures("sophos_admin", count=5, step=151)) == []


def test_the_single_log_ins_are_not_alerts_on_their_own(shipped: Catalog) -> None:
    for rule_id in (BRUTE_FORCE, SPRAYING, SUCCESS_AFTER, ADMIN):
        assert shipped.get(rule_id) is not None
    for rule_id in BASE_RULES:
        assert shipped.get(rule_id) is None
