"""Connection limits, idle timeout and fairness of the syslog listener, and malformed input over
real sockets: one client cannot starve the others, and nothing stops the listener."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from syslog_harness import Collector, running_collector


def connect(collector: Collector, source_ip: str = "127.0.0.1") -> socket.socket:
    """A TCP connection from source_ip (any 127.0.0.0/8 address is this host on Linux)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source_ip, 0))
    sock.connect(collector.listener.tcp_address)
    sock.settimeout(30)
    return sock


def is_closed_by_server(sock: socket.socket) -> bool:
    """The server closed (or refused after accepting) this connection."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def poll(done: Callable[[], bool]) -> bool:
    """Wait for done() without `Collector.wait_for`, which also waits for the sink to drain."""
    deadline = time.monotonic() + 60
    while not done() and time.monotonic() < deadline:
        time.sleep(0.001)
    return done()


def test_connections_per_address_are_limited(tmp_path: Path) -> None:
    with running_collector(tmp_path, max_connections_per_ip=2) as collector:
        first, second = connect(collector), connect(collector)
        third = connect(collector)  # accepted by the kernel, then closed by the listener
        assert is_closed_by_server(third)
        other_host = connect(collector, "127.0.0.2")  # another sender is not affected
        for number, sock in enumerate((first, second, other_host)):
            sock.sendall(b"<13>app: still served %d\n" % number)
        first.close()
        assert collector.wait_for(lambda: collector.store.count() >= 1)
        fourth = connect(collector)  # a slot of 127.0.0.1 is free again
        fourth.sendall(b"<13>app: after a slot freed\n")
        for sock in (second, other_host, fourth):
            sock.close()
        collector.wait_for_events(4)
        assert sorted(e["message"] for e in collector.store.search("").events) == [
            "after a slot freed",
            "still served 0",
            "still served 1",
            "still served 2",
        ]
        assert collector.counters()["refused_connections"] == 1
        assert "refused_connections" not in collector.counters("127.0.0.2")
        third.close()


def test_total_connections_are_limited(tmp_path: Path) -> None:
    with running_collector(tmp_path, max_connections=3, max_connections_per_ip=10) as collector:
        held = [connect(collector, f"127.0.0.{n}") for n in (2, 3, 4)]
        for sock in held:
            sock.sendall(b"<13>app: held\n")
        collector.wait_for_events(3)  # the three are accepted and counted
        refused = connect(collector, "127.0.0.5")
        assert is_closed_by_server(refused)
        assert collector.counters("127.0.0.5") == {"refused_connections": 1}
        for sock in (*held, refused):
            sock.close()


def test_idle_connections_are_closed_and_their_last_line_kept(tmp_path: Path) -> None:
    with running_collector(tmp_path, idle_timeout_seconds=0.5) as collector:
        idle = connect(collector)
        idle.sendall(b"<13>app: no newline and then silence")
        assert is_closed_by_server(idle)
        collector.wait_for_events(1)
        assert collector.store.search("").events[0]["message"] == "no newline and then silence"
        idle.close()


def test_a_flooding_client_does_not_starve_a_quiet_one(tmp_path: Path) -> None:
    """A flood far larger than one turn's read budget is under way when a quiet client sends one
    line: the listener handles that line (the source registry counts it as soon as it is parsed
    and queued) long before it is through the flood."""
    flood_lines = 100_000
    with running_collector(tmp_path, batch_size=2000) as collector:
        flooder, quiet = connect(collector, "127.0.0.2"), connect(collector, "127.0.0.3")
        block = b"".join(b"<13>flood: message %d\n" % i for i in range(500))
        thread = threading.Thread(
            target=lambda: [flooder.sendall(block) for _ in range(flood_lines // 500)]
        )
        thread.start()
        assert poll(lambda: collector.counters("127.0.0.2").get("messages", 0) > 0)
        quiet.sendall(b"<13>quiet: one line from another agency\n")
        flood_handled_first: list[int] = []

        def quiet_handled() -> bool:
            counters = collector.sources.snapshot()
            by_host = {s.key: s.counters.get("messages", 0) for s in counters}
            if by_host.get("127.0.0.3") == 1 and not flood_handled_first:
                flood_handled_first.append(by_host.get("127.0.0.2", 0))
            return bool(flood_handled_first)

        assert poll(quiet_handled), "the quiet line was never handled"
        assert flood_handled_first[0] < flood_lines // 2
        thread.join()
        collector.wait_for_events(flood_lines + 1)
        flooder.close()
        quiet.close()


@st.composite
def garbage(draw: st.DrawFn) -> bytes:
    pieces = [b"<13>", b"<999>", b"<", b"1 ", b"- ", b"Mar  5 10:00:00 ", b"host ", b"app: ",
              b"[id a=\"", b"\xff\xfe", b"\xef\xbb\xbf", b"\x00", b"\n", b"12 ", b"99999999 ",
              b"%ASA-6-302013: ", b"devname=x logid=1 ", b'{"event_type":',
              b"\x16\x03\x01"]  # fmt: skip
    parts = draw(st.lists(st.sampled_from(pieces) | st.binary(max_size=40), max_size=12))
    return b"".join(parts)


def test_malformed_input_over_real_sockets_never_stops_the_listener(tmp_path: Path) -> None:
    """Every datagram becomes one event or one dead letter; garbage on TCP costs only itself."""
    with running_collector(tmp_path, max_message_bytes=512) as collector:
        sent = 0
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

        @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
        @given(datagram=garbage())
        def throw_datagram(datagram: bytes) -> None:
            nonlocal sent
            udp.sendto(datagram, collector.listener.udp_address)
            sent += 1

        throw_datagram()
        udp.close()

        def accounted() -> int:
            return collector.store.count() + len(collector.dead_letters())

        assert collector.wait_for(lambda: accounted() >= sent)
        assert accounted() == sent
        assert all(r["source"] == "syslog/udp" for r in collector.dead_letters())

        @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
        @given(stream=garbage(), octet=st.booleans())
        def throw_stream(stream: bytes, octet: bool) -> None:
            with connect(collector) as tcp:
                tcp.sendall(b"%d %s" % (len(stream), stream) if octet else stream)

        throw_stream()
        with connect(collector) as tcp:
            tcp.sendall(b"<13>sentinel: the listener is alive\n")
        assert collector.wait_for(
            lambda: collector.store.search("process.name:sentinel").total == 1
        )
        for record in collector.dead_letters():
            assert record["reason"]
            assert "raw" in record or "raw_base64" in record
            assert record["peer"].startswith("127.0.0.1:")
