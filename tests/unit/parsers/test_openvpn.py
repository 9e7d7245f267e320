"""OpenVPN server lines (Linux syslog, pfSense/OPNsense) to `openvpn.log`: log-ins, failures and
sessions. Lines written in OpenVPN's own wording (ssl_verify.c, multi.c, sig.c) and pfSense's
user/password script's, with documentation addresses and made-up users."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.parsers.dispatch import parse_message
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

RECEIVED = datetime(2026, 3, 5, 12, tzinfo=UTC)


SUCCEEDED = "TLS: Username/Password authentication succeeded for username"
FAILED = "TLS Auth Error: Auth Username/Password verification failed for peer"


def ecs(message: str, tag: str = "openvpn[4242]") -> dict:
    line = f"<29>Mar  5 11:59:58 vpn01 {tag}: {message}".encode()
    return to_ecs(parse_syslog(line, received=RECEIVED), peer_ip="192.0.2.1")


def test_password_login_names_user_and_client_address() -> None:
    doc = ecs(
        "203.0.113.5:51234 TLS: Username/Password authentication succeeded for username 'alice'"
    )
    assert doc["event"] == {
        "module": "openvpn",
        "dataset": "openvpn.log",
        "kind": "event",
        "category": ["authentication"],
        "type": ["start"],
        "action": "logged-in",
        "outcome": "success",
    }
    assert doc["source"] == {"ip": "203.0.113.5", "port": 51234}
    assert doc["user"] == {"name": "alice"}
    assert doc["related"] == {"ip": ["203.0.113.5"], "user": ["alice"]}
    assert doc["process"] == {"name": "openvpn", "pid": 4242}
    assert doc["host"]["name"] == "vpn01"
    assert doc["message"].startswith("203.0.113.5:51234 TLS: Username")


def test_failed_password_is_a_logon_failure_from_the_client() -> None:
    doc = ecs(
        "198.51.100.7:40001 TLS Auth Error: Auth Username/Password verification failed for peer"
    )
    assert doc["event"]["action"] == "logon-failed"
    assert doc["event"]["outcome"] == "failure"
    assert doc["event"]["category"] == ["authentication"]
    assert doc["event"]["reason"] == "Auth Username/Password verification failed for peer"
    assert doc["source"] == {"ip": "198.51.100.7", "port": 40001}
    assert "user" not in doc


def test_deferred_authentication_names_the_user_without_a_verdict() -> None:
    doc = ecs(
        "203.0.113.5:51234 TLS: Username/Password authentication deferred for username 'alice'"
    )
    assert doc["user"] == {"name": "alice"}
    assert doc["event"]["category"] == ["network"]
    assert "outcome" not in doc["event"]


@pytest.mark.parametrize(
    ("peer", "user"),
    [("udp4:198.51.100.7:40001", None), ("frank/198.51.100.7:40001", "frank")],
)
def test_auth_failed_sent_to_the_client(peer: str, user: str | None) -> None:
    name = user or "UNDEF"
    doc = ecs(f"{peer} SENT CONTROL [{name}]: 'AUTH_FAILED,Invalid credentials' (status=1)")
    assert doc["event"]["category"] == ["authentication"]
    assert (doc["event"]["action"], doc["event"]["outcome"]) == ("auth-failed", "failure")
    assert doc["event"]["reason"] == "AUTH_FAILED,Invalid credentials"
    assert doc["source"] == {"ip": "198.51.100.7", "port": 40001}
    assert doc.get("user") == ({"name": user} if user else None)


@pytest.mark.parametrize(
    ("message", "action", "outcome"),
    [
        ("user 'carol' authenticated", "logged-in", "success"),
        ("user 'carol' authenticated using 'Local Database'", "logged-in", "success"),  # OPNsense
        ("user 'carol' could not authenticate.", "logon-failed", "failure"),
    ],
)
def test_pfsense_user_script_verdicts(message: str, action: str, outcome: str) -> None:
    doc = ecs(message, tag="openvpn[19001]")
    assert (doc["event"]["action"], doc["event"]["outcome"]) == (action, outcome)
    assert doc["event"]["category"] == ["authentication"]
    assert doc["user"] == {"name": "carol"}
    assert doc["related"] == {"user": ["carol"]}


def test_peer_connection_starts_a_session_for_the_named_user() -> None:
    doc = ecs("203.0.113.5:51234 [alice] Peer Connection Initiated with [AF_INET]203.0.113.5:51234")
    assert doc["event"]["category"] == ["network"]
    assert doc["event"]["type"] == ["connection", "start"]
    assert doc["user"] == {"name": "alice"}
    assert doc["source"] == {"ip": "203.0.113.5", "port": 51234}


def test_pool_address_is_the_clients_tunnel_address() -> None:
    doc = ecs("alice/203.0.113.5:51234 MULTI_sva: pool returned IPv4=10.8.0.6, IPv6=(Not enabled)")
    assert doc["source"] == {"ip": "203.0.113.5", "port": 51234, "nat": {"ip": "10.8.0.6"}}
    assert doc["related"] == {"ip": ["203.0.113.5", "10.8.0.6"], "user": ["alice"]}
    assert doc["user"] == {"name": "alice"}


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("alice/203.0.113.5:51234 SIGTERM[soft,remote-exit] received, client-instance exiting",
         "remote-exit"),
        ("alice/203.0.113.5:51234 SIGUSR1[soft,ping-restart] received, client-instance restarting",
         "ping-restart"),
        ("alice/203.0.113.5:51234 Connection reset, restarting [0]", "connection-reset"),
    ],
)  # fmt: skip
def test_session_end(message: str, reason: str) -> None:
    doc = ecs(message)
    assert doc["event"]["type"] == ["connection", "end"]
    assert doc["event"]["reason"] == reason
    assert doc["user"] == {"name": "alice"}
    assert doc["source"]["ip"] == "203.0.113.5"


def test_certificate_rejected_names_its_common_name() -> None:
    doc = ecs("203.0.113.9:61000 VERIFY ERROR: depth=0, error=certificate has expired: CN=bob")
    assert doc["event"]["category"] == ["authentication"]
    assert (doc["event"]["action"], doc["event"]["outcome"]) == ("certificate-rejected", "failure")
    assert doc["event"]["reason"] == "certificate has expired"
    assert doc["user"] == {"name": "bob"}


def test_certificate_verified_takes_the_clients_cn_not_the_issuers() -> None:
    client = ecs("203.0.113.5:51234 VERIFY OK: depth=0, C=US, O=Example, CN=alice")
    issuer = ecs("203.0.113.5:51234 VERIFY OK: depth=1, CN=Example CA")
    assert client["event"]["action"] == "certificate-verified"
    assert client["user"] == {"name": "alice"}
    assert issuer["event"]["action"] == "certificate-verified"
    assert "user" not in issuer


def test_ipv6_and_dual_stack_clients() -> None:
    v6 = ecs(
        "2001:db8::5:51234 TLS Auth Error: Auth Username/Password verification failed for peer"
    )
    mapped = ecs("::ffff:198.51.100.7:40001 [dave] Peer Connection Initiated with "
                 "[AF_INET6]::ffff:198.51.100.7:40001")  # fmt: skip
    assert v6["source"] == {"ip": "2001:db8::5", "port": 51234}
    assert mapped["source"] == {"ip": "198.51.100.7", "port": 40001}


@pytest.mark.parametrize(
    "peer",
    ["udp4-server:203.0.113.5:51234", "tcp6-server:[2001:db8::5]:51234"],
)
def test_openvpn_27_socket_before_the_address(peer: str) -> None:
    doc = ecs(f"{peer} [alice] Peer Connection Initiated with [AF_INET]203.0.113.5:51234")
    assert doc["source"]["port"] == 51234
    assert doc["source"]["ip"] in ("203.0.113.5", "2001:db8::5")
    assert doc["user"] == {"name": "alice"}


@pytest.mark.parametrize(
    "clock",
    ["Tue Mar  3 10:00:00 2026 us=123456 ", "Tue Mar 10 10:00:00 2026 ", "2026-03-03 10:00:00 "],
)
def test_openvpns_own_clock_is_passed_over(clock: str) -> None:
    exiting = "SIGTERM[soft,remote-exit] received, client-instance exiting"
    doc = ecs(f"{clock}alice/203.0.113.5:51234 {exiting}")
    assert doc["event"]["type"] == ["connection", "end"]
    assert doc["source"]["ip"] == "203.0.113.5"


def test_openvpn_26_certificate_error_with_serial() -> None:
    doc = ecs("203.0.113.9:61000 VERIFY ERROR: depth=0, error=certificate revoked: "
              "C=US, O=Example, CN=mallory, serial=4660")  # fmt: skip
    assert doc["event"]["reason"] == "certificate revoked"
    assert doc["user"] == {"name": "mallory"}


def test_packet_refused_before_any_client_exists_names_its_sender() -> None:
    doc = ecs("TLS Error: cannot locate HMAC in incoming packet from [AF_INET]198.51.100.23:5060")
    assert doc["event"]["outcome"] == "failure"
    assert doc["source"] == {"ip": "198.51.100.23", "port": 5060}


@pytest.mark.parametrize("tag", ["openvpn_server1[812]", "ovpn-server[812]"])
def test_instance_tags_are_openvpn(tag: str) -> None:
    doc = ecs(
        "203.0.113.5:51234 TLS: Username/Password authentication succeeded for username 'eve'", tag
    )
    assert doc["event"]["dataset"] == "openvpn.log"


@pytest.mark.parametrize(
    "message",
    ["Initialization Sequence Completed", "MULTI: multi_init called, r=256 v=256",
     "user alice logged on"],
)  # fmt: skip
def test_server_lines_stay_syslog_with_the_tag(message: str) -> None:
    assert parse_message(message, program="openvpn") is None
    doc = ecs(message)
    assert doc["process"] == {"name": "openvpn", "pid": 4242}
    assert "dataset" not in doc.get("event", {})
