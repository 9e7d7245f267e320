"""rsyslog as the sender, as agencies' Linux servers and relays forward: omfwd over UDP, TCP with
LF framing and TCP with octet counting, in the traditional (RFC 3164) and RFC 5424 formats."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from syslog_harness import Rsyslog, running_collector

MODES = {
    "udp-rfc3164": ("udp", None, "RSYSLOG_TraditionalForwardFormat"),
    "udp-rfc5424": ("udp", None, "RSYSLOG_SyslogProtocol23Format"),
    "tcp-lf-rfc3164": ("tcp", "traditional", "RSYSLOG_TraditionalForwardFormat"),
    "tcp-lf-rfc3339": ("tcp", "traditional", "RSYSLOG_ForwardFormat"),
    "tcp-octet-rfc5424": ("tcp", "octet-counted", "RSYSLOG_SyslogProtocol23Format"),
}


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    daemon = Rsyslog(tmp_path / "rsyslog")
    yield daemon
    daemon.stop()


@pytest.mark.parametrize("mode", MODES)
def test_rsyslog_forwarding_is_stored(tmp_path: Path, rsyslog: Rsyslog, mode: str) -> None:
    protocol, framing, template = MODES[mode]
    with running_collector(tmp_path) as collector:
        listener = collector.listener
        port = (listener.udp_address if protocol == "udp" else listener.tcp_address)[1]
        framing_option = f' TCP_Framing="{framing}"' if framing else ""
        rsyslog.start(
            f'action(type="omfwd" target="127.0.0.1" port="{port}" protocol="{protocol}"'
            f'{framing_option} template="{template}")'
        )
        marker = uuid.uuid4().hex
        rsyslog.log(f"forwarded {marker} qua rsyslog", tag="soc-test")
        rsyslog.log(
            "pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
            tag="sudo",
        )
        rsyslog.log(
            "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id -u", tag="sudo"
        )
        collector.wait_for_events(3)

        (plain,) = collector.store.search(f"message:*{marker}*").events
        assert plain["message"] == f"forwarded {marker} qua rsyslog"
        assert plain["process"]["name"] == "soc-test"
        assert plain["host"]["name"].split(".")[0] == socket.gethostname().split(".")[0]
        assert plain["observer"]["ip"] == "127.0.0.1"
        assert plain["@timestamp"].endswith("Z")
        (command,) = collector.store.search("process.name:sudo AND user.effective.name:root").events
        assert command["user"]["name"] == "alice"
        assert command["process"]["command_line"] == "/usr/bin/id -u"
        assert command["event"]["dataset"] == "system.auth"
        assert collector.dead_letters() == [], rsyslog.errors()
        assert collector.counters()["messages"] == 3
