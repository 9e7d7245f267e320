"""v9/IPFIX state over real UDP into a real DuckDB file: templates after data, restarts with
saved templates, sampling options, exporter health, and garbage that costs only itself."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from netflow_craft import (
    data_set,
    ipfix_message,
    ipfix_options_template_set,
    ipfix_template,
    ipfix_template_set,
    ipv4,
    v9_options_template_set,
    v9_packet,
    v9_template_set,
    varlen,
)
from netflow_harness import Collector, running_collector

from soc.cases import CaseService
from soc.enrich.chain import Enricher, EnrichmentSources
from soc.enrich.geoip import GeoIp
from soc.model.agency import Agency, Principal
from soc.model.intel import Indicator

V9_FLOW = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 4), (2, 4), (22, 4), (21, 4)]
IPFIX_FLOW = [(27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (152, 8), (153, 8)]
IPFIX_V4_FLOW = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8)]
IPFIX_VARIABLE = [(8, 4), (12, 4), (4, 1), (1, 4), (96, 0xFFFF), (7, 4, 12356)]


def v9_flow(src: str, dst: str, octets: int, packets: int = 1) -> bytes:
    return ipv4(src) + ipv4(dst) + struct.pack("!HHBIIII", 50_000, 443, 6, octets, packets, 1, 2)


def ipfix_flow(src: bytes, dst: bytes, octets: int) -> bytes:
    times = struct.pack("!QQ", 1_700_000_000_000, 1_700_000_001_500)
    return src + dst + struct.pack("!HHBQQ", 40_000, 53, 17, octets, 1) + times


def ipfix_v4_flow(dst: str, octets: int) -> bytes:
    return ipv4("10.20.1.5") + ipv4(dst) + struct.pack("!HHBQQ", 40_000, 53, 17, octets, 1)


def reasons(collector: Collector) -> list[str]:
    return [json.loads(line)["reason"] for line in collector.dead_letter.path.open()]


def test_data_before_its_template_is_stored_once_the_template_comes(tmp_path: Path) -> None:
    with running_collector(tmp_path) as collector:
        collector.send(v9_packet(data_set(300, v9_flow("10.20.1.5", "8.8.8.8", 700)), sequence=1))
        collector.wait_for(lambda: collector.info().get("sets_waiting") == "1")
        assert collector.store.count() == 0

        collector.send(v9_packet(v9_template_set((300, V9_FLOW)), sequence=2))
        collector.wait_for(lambda: collector.store.count() >= 1)
        (event,) = collector.flows()
        assert event["source"] == {"ip": "10.20.1.5", "port": 50_000, "bytes": 700, "packets": 1}
        assert event["organization"]["id"] == "so-yte"
        collector.wait_for(lambda: collector.info().get("sets_waiting") == "0")
        assert collector.counters()["sequence_gaps"] == 0


def test_a_restarted_collector_decodes_with_the_saved_templates(tmp_path: Path) -> None:
    saved = tmp_path / "netflow-templates.json"
    template = ipfix_template_set(ipfix_template(256, IPFIX_FLOW))
    src, dst = (
        bytes.fromhex("20010db8" + "00" * 11 + "01"),
        bytes.fromhex("20010db8" + "00" * 11 + "02"),
    )
    with running_collector(tmp_path / "first", templates_path=saved) as first:
        first.send(ipfix_message(template, data_set(256, ipfix_flow(src, dst, 90), pad=False)))
        first.wait_for(lambda: first.store.count() >= 1)
    assert json.loads(saved.read_text())["sessions"][0]["version"] == 10

    with running_collector(tmp_path / "second", templates_path=saved) as second:
        second.send(ipfix_message(data_set(256, ipfix_flow(src, dst, 91), pad=False), sequence=1))
        second.wait_for(lambda: second.store.count() >= 1)
        (event,) = second.flows()
        assert event["source"]["ip"] == "2001:db8::1"
        assert event["network"]["bytes"] == 91
        assert event["event"]["start"] == "2023-11-14T22:13:20.000Z"
        assert event["event"]["duration"] == 1_500_000_000
        assert second.dead_letter.count == 0


def test_sampling_from_options_scales_stored_counters_and_keeps_raw(tmp_path: Path) -> None:
    with running_collector(tmp_path) as collector:
        collector.send(
            v9_packet(
                v9_options_template_set(400, [(1, 4)], [(34, 4), (35, 1)]),
                data_set(400, b"\0\0\0\0" + struct.pack("!IB", 100, 2)),
                v9_template_set((300, V9_FLOW)),
                data_set(300, v9_flow("10.20.1.5", "203.0.113.9", 1_500, 3)),
            )
        )
        collector.wait_for(lambda: collector.store.count() >= 1)
        (event,) = collector.flows()
        assert event["network"]["bytes"] == 150_000
        assert event["network"]["packets"] == 300
        assert event["netflow"]["octet_delta_count"] == 1_500
        assert event["netflow"]["exporter"]["sampling_interval"] == 100
        assert collector.store.aggregate("source.bytes", "source.ip:10.20.1.5") == [(150_000, 1)]
        collector.wait_for(lambda: "sampling" in collector.info())
        assert collector.info()["sampling"] == "1:100"


def test_variable_length_and_enterprise_fields_are_stored(tmp_path: Path) -> None:
    with running_collector(tmp_path) as collector:
        record = ipv4("10.20.3.3") + ipv4("1.1.1.1") + b"\x06" + struct.pack("!I", 64)
        collector.send(
            ipfix_message(
                ipfix_template_set(ipfix_template(256, IPFIX_VARIABLE)),
                data_set(256, record + varlen(b"ssl") + b"\xde\xad\xbe\xef", pad=False),
            )
        )
        collector.wait_for(lambda: collector.store.count() >= 1)
        (event,) = collector.flows()
        assert event["netflow"]["application_name"] == "ssl"
        assert event["netflow"]["pen12356_ie_7"] == "deadbeef"
        assert event["network"]["application"] == "ssl"


def test_garbage_from_one_exporter_costs_only_itself(tmp_path: Path) -> None:
    with running_collector(tmp_path) as collector:
        templates = v9_template_set((300, V9_FLOW))
        good = data_set(300, v9_flow("10.20.1.1", "8.8.8.8", 100))
        broken = struct.pack("!HH", 301, 2)  # a FlowSet of impossible length
        collector.send(v9_packet(templates, good, broken, sequence=1))
        collector.send(v9_packet(templates, sequence=1)[:25], source_ip="127.0.0.2")  # cut off
        collector.send(v9_packet(templates, good, sequence=2), source_ip="127.0.0.2")
        collector.send(ipfix_message(length=3))
        collector.wait_for(
            lambda: collector.store.count() >= 2 and collector.dead_letter.count >= 3
        )

        assert collector.store.count() == 2
        found = reasons(collector)
        assert any("set 301 at byte" in r and "has length 2" in r for r in found)
        assert any("IPFIX message length 3" in r for r in found)
        assert collector.counters("127.0.0.1")["decode_errors"] == 2
        assert collector.counters("127.0.0.2") == {
            "packets": 2,
            "flows": 1,
            "sequence_gaps": 0,
            "decode_errors": 1,  # the cut template FlowSet; its header was still read
        }


def test_health_counts_v9_packet_loss_and_templates(tmp_path: Path) -> None:
    with running_collector(tmp_path) as collector:
        collector.send(v9_packet(v9_template_set((300, V9_FLOW), (301, V9_FLOW[:4])), sequence=10))
        for sequence in (11, 15):
            flow = data_set(300, v9_flow("10.20.1.1", "8.8.8.8", 1))
            collector.send(v9_packet(flow, sequence=sequence))
        collector.wait_for(lambda: collector.counters().get("packets") == 3)
        collector.wait_for(lambda: "templates" in collector.info())
        assert collector.counters()["sequence_gaps"] == 3
        assert collector.info()["templates"] == "2"
        assert collector.info()["version"] == "NetFlow v9"
        (source,) = collector.sources.snapshot()
        assert source.agency_id is None  # 127.0.0.1 is in no agency's ranges


def test_counters_past_64_bits_are_saturated_and_cost_no_other_flow(tmp_path: Path) -> None:
    """An 8-byte counter times the sampling rate passes 2**63 - 1 (ECS `long`): it used to fail
    orjson and with it the sink's whole batch. Both paths: a fixed-length template (columnar)
    and one with a variable-length field (dict)."""
    fixed = [(8, 4), (12, 4), (4, 1), (1, 8), (2, 8)]
    variable = [*fixed, (96, 0xFFFF)]
    huge, most = 1 << 62, (1 << 64) - 1

    def flow(octets: int, packets: int, name: bytes | None = None) -> bytes:
        raw = ipv4("10.20.1.5") + ipv4("8.8.8.8") + struct.pack("!BQQ", 6, octets, packets)
        return raw if name is None else raw + varlen(name)

    with running_collector(tmp_path) as collector:
        collector.send(
            ipfix_message(
                ipfix_options_template_set(400, 1, [(149, 4), (34, 4)]),
                data_set(400, struct.pack("!II", 0, 1000), pad=False),
                ipfix_template_set(ipfix_template(256, fixed), ipfix_template(257, variable)),
                data_set(256, flow(100, 1) + flow(huge, most) + flow(200, 2), pad=False),
                data_set(257, flow(huge, 3, b"ssl") + flow(300, 3, b"dns"), pad=False),
            )
        )
        collector.send(ipfix_message(data_set(256, flow(400, 4), pad=False), sequence=5))
        collector.wait_for(lambda: collector.store.count() >= 6)
        events = sorted(collector.flows(), key=lambda e: e["netflow"]["octet_delta_count"])
        assert [e["source"]["bytes"] for e in events] == [
            100_000,
            200_000,
            300_000,
            400_000,
            (1 << 63) - 1,
            (1 << 63) - 1,
        ]
        assert [e["netflow"]["octet_delta_count"] for e in events][-2:] == [huge, huge]
        assert {e["network"]["packets"] for e in events if e["source"]["packets"] > 4000} == {
            (1 << 63) - 1
        }
        assert collector.dead_letter.count == 0


def test_flows_to_an_intel_indicator_raise_an_alert_on_the_columnar_path_too(
    tmp_path: Path,
) -> None:
    """Fixed-length IPFIX goes as columns while only agencies and GeoIP are tagged; once an
    indicator is loaded the flows are tagged one by one, so a flow to it is marked and alerted,
    and flows before and after are stored alike."""
    cases = CaseService(f"sqlite:///{tmp_path / 'cases.sqlite'}")
    cases.migrate()
    cases.upsert_agency(Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",)))
    sources = EnrichmentSources(
        agencies=cases.agencies,
        intel_version=cases.intel.version,
        indicators=cases.intel.active_indicators,
    )
    enricher = Enricher(sources, alerts=cases, geoip=GeoIp())
    template = ipfix_template_set(ipfix_template(256, IPFIX_V4_FLOW))
    try:
        with running_collector(tmp_path, tagger=enricher) as collector:
            collector.send(ipfix_message(template, data_set(256, ipfix_v4_flow("8.8.4.4", 100))))
            collector.wait_for(lambda: collector.store.count() >= 1)
            cases.intel.import_feed(
                "cert", "csv", "cert.csv", [Indicator("ip", "8.8.4.4", "cert", confidence=90)]
            )
            assert enricher.refresh()
            collector.send(ipfix_message(data_set(256, ipfix_v4_flow("8.8.4.4", 200)), sequence=1))
            collector.wait_for(lambda: collector.store.count() >= 2)
            before, after = sorted(collector.flows(), key=lambda e: e["network"]["bytes"])
        assert before["organization"]["id"] == after["organization"]["id"] == "so-yte"
        assert "threat" not in before
        assert after["threat"]["indicator"]["ip"] == "8.8.4.4"
        assert enricher.flush_alerts() == 1
        analyst = Principal(0, "analyst", "analyst")
        alerts, total = cases.list_alerts(analyst, rule_id="soc-threat-intel", status=None)
        assert total == 1 and alerts[0].event_ids == (after["event"]["id"],)
    finally:
        enricher.close()
        cases.close()
