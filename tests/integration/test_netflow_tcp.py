"""IPFIX over TCP (RFC 7011 §10.4) into a real DuckDB file: a real exporter (softflowd -P tcp),
messages cut anywhere by the stream, templates that belong to their connection, and streams
that break, which cost only their own connection."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from netflow_craft import (
    data_set,
    ipfix_message,
    ipfix_template,
    ipfix_template_set,
    ipfix_withdrawal_set,
    ipv4,
    v9_packet,
    v9_template_set,
)
from netflow_harness import Collector, many_flows_pcap, running_collector, softflowd
from shared_data import SHARED_DATA

from soc.errors import ConfigError

IPFIX_V4_FLOW = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8)]
TEMPLATE = ipfix_template_set(ipfix_template(256, IPFIX_V4_FLOW))


def flow(dst: str, octets: int) -> bytes:
    return ipv4("10.20.1.5") + ipv4(dst) + struct.pack("!HHBQQ", 40_000, 53, 17, octets, 1)


def flow_key(event: dict) -> tuple:
    source, destination, network = event["source"], event["destination"], event["network"]
    return (
        source["ip"],
        source.get("port"),
        destination["ip"],
        destination.get("port"),
        network["transport"],
        network["bytes"],
        network["packets"],
        network.get("community_id"),
        event["event"]["start"],
        event["event"]["end"],
        event["netflow"].get("tcp_control_bits"),
    )


def dead_letters(collector: Collector) -> list[dict]:
    return [json.loads(line) for line in collector.dead_letter.path.open()]


def connect(collector: Collector) -> socket.socket:
    return socket.create_connection(collector.listener.addresses[1], timeout=10)


def stored_octets(collector: Collector) -> list[int]:
    return sorted(e["network"]["bytes"] for e in collector.flows())


@pytest.mark.skipif(not shutil.which("softflowd"), reason="needs the Debian package softflowd")
def test_softflowd_over_tcp_stores_the_flows_it_exports_over_udp(tmp_path: Path) -> None:
    """UDP IPFIX from softflowd is checked against nfdump (test_netflow_softflowd); over TCP the
    same capture must give the same flows, field for field."""
    pcaps = [
        SHARED_DATA / "pcap" / "http.pcap",
        SHARED_DATA / "pcap" / "dns_icmp.pcap",
        many_flows_pcap(tmp_path / "many.pcap"),
    ]
    seen = {}
    for transport in ("udp", "tcp"):
        with running_collector(
            tmp_path / transport, receive_buffer_bytes=8 << 20, tcp_enabled=True, tcp_port=0
        ) as collector:
            port = collector.listener.addresses[0 if transport == "udp" else 1][1]
            for pcap in pcaps:
                softflowd(pcap, port, 10, transport=transport)
            collector.wait_for(lambda c=collector: c.counters().get("flows", 0) > 2_000)
            collector.wait_for(lambda c=collector: c.store.count() == c.counters()["flows"])
            seen[transport] = sorted(map(flow_key, collector.flows()), key=repr)
            assert collector.dead_letter.count == 0
            assert collector.counters()["sequence_gaps"] == 0
            assert collector.counters()["decode_errors"] == 0
    assert len(seen["tcp"]) > 2_000
    assert seen["tcp"] == seen["udp"]


def test_messages_cut_anywhere_by_the_stream_are_decoded(tmp_path: Path) -> None:
    stream = ipfix_message(data_set(256, flow("8.8.8.8", 100), pad=False), sequence=0)
    stream += ipfix_message(TEMPLATE, data_set(256, flow("8.8.4.4", 200), pad=False), sequence=1)
    stream += ipfix_message(data_set(256, flow("1.1.1.1", 300), pad=False), sequence=2)
    with running_collector(tmp_path, tcp_enabled=True, tcp_port=0) as collector:
        with connect(collector) as exporter:
            exporter.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for offset in range(0, len(stream), 7):  # 7 bytes at a time: cuts every field
                exporter.sendall(stream[offset : offset + 7])
            collector.wait_for(lambda: collector.store.count() >= 3)
        # the first set came before its template, in the same connection: it waited for it
        assert stored_octets(collector) == [100, 200, 300]
        assert {e["observer"]["ip"] for e in collector.flows()} == {"127.0.0.1"}
        assert collector.counters()["sequence_gaps"] == 0
        assert collector.dead_letter.count == 0


def test_templates_belong_to_their_connection(tmp_path: Path) -> None:
    """A template lives as long as its connection: a second connection must send its own, and
    data still waiting for one when its connection closes is dead-lettered with the reason."""
    with running_collector(tmp_path, tcp_enabled=True, tcp_port=0) as collector:
        with connect(collector) as first:
            first.sendall(ipfix_message(TEMPLATE, data_set(256, flow("8.8.8.8", 100))))
            collector.wait_for(lambda: collector.store.count() >= 1)
            with connect(collector) as second:
                second.sendall(ipfix_message(data_set(256, flow("8.8.4.4", 200))))
                collector.wait_for(lambda: collector.info().get("sets_waiting") == "1")
            collector.wait_for(lambda: collector.dead_letter.count >= 1)
            first.sendall(ipfix_message(data_set(256, flow("1.1.1.1", 300)), sequence=1))
            collector.wait_for(lambda: collector.store.count() >= 2)
        assert stored_octets(collector) == [100, 300]
        [letter] = dead_letters(collector)
        assert "no template 256" in letter["reason"]
        assert "the TCP connection closed before it came" in letter["reason"]
        assert letter["peer"].startswith("127.0.0.1:")
        collector.wait_for(lambda: collector.info().get("templates") == "0")


def test_a_withdrawn_template_no_longer_decodes(tmp_path: Path) -> None:
    with running_collector(tmp_path, tcp_enabled=True, tcp_port=0) as collector:
        with connect(collector) as exporter:
            exporter.sendall(ipfix_message(TEMPLATE, data_set(256, flow("8.8.8.8", 100))))
            exporter.sendall(ipfix_message(ipfix_withdrawal_set(256), sequence=1))
            exporter.sendall(ipfix_message(data_set(256, flow("8.8.4.4", 200)), sequence=1))
            collector.wait_for(lambda: collector.info().get("sets_waiting") == "1")
        collector.wait_for(lambda: collector.dead_letter.count >= 1)
        assert stored_octets(collector) == [100]
        assert "no template 256" in dead_letters(collector)[0]["reason"]


def test_a_v9_stream_costs_only_its_own_connection(tmp_path: Path) -> None:
    v9 = v9_packet(v9_template_set((300, [(8, 4), (12, 4)])))
    with running_collector(tmp_path, tcp_enabled=True, tcp_port=0) as collector:
        with connect(collector) as good, connect(collector) as bad:
            bad.sendall(v9)
            assert bad.recv(1) == b""  # the collector closed it
            good.sendall(ipfix_message(TEMPLATE, data_set(256, flow("8.8.8.8", 100))))
            collector.send(ipfix_message(TEMPLATE, data_set(256, flow("8.8.4.4", 200))))
            collector.wait_for(lambda: collector.store.count() >= 2)
        assert stored_octets(collector) == [100, 200]
        [letter] = dead_letters(collector)
        assert "NetFlow v9 messages carry no length" in letter["reason"]
        assert letter["reason"].endswith("connection closed")
        assert base64.b64decode(letter["raw_base64"]) == v9


def test_a_connection_that_ends_inside_a_message_keeps_the_messages_before(
    tmp_path: Path,
) -> None:
    whole = ipfix_message(TEMPLATE, data_set(256, flow("8.8.8.8", 100)))
    cut = ipfix_message(data_set(256, flow("8.8.4.4", 200)), sequence=1)[:30]
    with running_collector(tmp_path, tcp_enabled=True, tcp_port=0) as collector:
        with connect(collector) as exporter:
            exporter.sendall(whole + cut)
        collector.wait_for(lambda: collector.dead_letter.count >= 1)
        collector.wait_for(lambda: stored_octets(collector) == [100])  # kept up to 100 ms
        assert stored_octets(collector) == [100]
        [letter] = dead_letters(collector)
        assert letter["reason"] == (
            "connection closed inside an IPFIX message (30 bytes of it received)"
        )
        assert base64.b64decode(letter["raw_base64"]) == cut


def test_what_exporters_sent_before_shutdown_is_stored(tmp_path: Path) -> None:
    messages = [
        ipfix_message(TEMPLATE, data_set(256, flow("8.8.8.8", octets)), sequence=octets)
        for octets in range(1, 201)
    ]
    with running_collector(tmp_path, tcp_enabled=True, tcp_port=0) as collector:
        exporters = [connect(collector) for _ in range(3)]
        for exporter in exporters:
            exporter.sendall(b"".join(messages))
        collector.listener.close()  # at once: the data sits in the kernel, maybe not accepted yet
        collector.sink.flush()
        for exporter in exporters:
            exporter.close()
        assert collector.store.count() == 600
        assert collector.dead_letter.count == 0


def test_a_taken_tcp_port_is_a_clear_error_and_the_udp_port_is_free_again(
    tmp_path: Path, free_port: Callable[[], int]
) -> None:
    udp_port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(ConfigError, match=f"netflow tcp 127.0.0.1:{port}"),
            running_collector(tmp_path, port=udp_port, tcp_enabled=True, tcp_port=port),
        ):
            pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", udp_port))  # the listener let its UDP socket go
