"""Template state: data before its template, bounds, refresh, withdrawal, scoping, persistence."""

from __future__ import annotations

import json
import struct

from netflow_craft import (
    data_set,
    ipfix_message,
    ipfix_options_template_set,
    ipfix_template,
    ipfix_template_set,
    ipfix_withdrawal_set,
    ipv4,
    v9_options_template_set,
    v9_packet,
    v9_template_set,
)

from collectors.netflow.decode import decode
from collectors.netflow.session import Outcome, Sessions

FLOW = [(8, 4), (12, 4), (1, 4), (2, 4)]  # src, dst, bytes, packets
PORTS = [(7, 2), (11, 2)]  # records of 4 bytes or more: v9 pads sets to 4-byte boundaries


def flow(src: str, dst: str, octets: int, packets: int) -> bytes:
    return ipv4(src) + ipv4(dst) + struct.pack("!II", octets, packets)


def sessions(**bounds: float) -> Sessions:
    settings = {"pending_max_records": 100, "pending_max_age_seconds": 300.0, **bounds}
    return Sessions(**settings)  # type: ignore[arg-type]


def run(state: Sessions, datagram: bytes, *, ip: str = "192.0.2.1", now: float = 0) -> Outcome:
    return state.process(decode(datagram, exporter=ip), ip=ip, port=2055, now=now)


def fields(outcome: Outcome) -> list[dict]:
    return [record.fields for record in outcome.flows]


def test_data_waits_for_its_template_and_is_decoded_when_it_comes() -> None:
    state = sessions()
    early = run(state, v9_packet(data_set(300, flow("10.0.0.1", "10.0.0.2", 500, 5)), sequence=1))
    assert early.flows == [] and early.problems == []
    assert len(next(iter(state)).waiting) == 1

    later = run(state, v9_packet(v9_template_set((300, FLOW)), sequence=2, sys_uptime=9))
    assert fields(later) == [
        {
            "source_ipv4_address": "10.0.0.1",
            "destination_ipv4_address": "10.0.0.2",
            "octet_delta_count": 500,
            "packet_delta_count": 5,
        }
    ]
    assert later.flows[0].export.sequence == 1  # read against the header it came with
    assert len(next(iter(state)).waiting) == 0


def test_data_before_its_template_in_the_same_packet_is_decoded() -> None:
    datagram = v9_packet(
        data_set(300, flow("10.0.0.1", "10.0.0.2", 1, 1)), v9_template_set((300, FLOW))
    )
    assert len(run(sessions(), datagram).flows) == 1


def test_the_waiting_buffer_is_bounded_by_count() -> None:
    state = sessions(pending_max_records=2)
    for n in range(3):
        outcome = run(state, v9_packet(data_set(300, flow("10.0.0.1", "10.0.0.2", n, 1))))
    (problem,) = outcome.problems
    assert "no template 300" in problem.reason and "full" in problem.reason
    assert problem.raw[:2] == b"\x01\x2c"  # the dropped set, header included
    released = run(state, v9_packet(v9_template_set((300, FLOW))))
    assert [f["octet_delta_count"] for f in fields(released)] == [1, 2]


def test_the_waiting_buffer_is_bounded_by_age() -> None:
    state = sessions(pending_max_age_seconds=10)
    run(state, v9_packet(data_set(300, flow("10.0.0.1", "10.0.0.2", 1, 1))), now=0)
    outcome = Outcome([], [], 0)
    state.expire(5, outcome)
    assert outcome.problems == []
    state.expire(11, outcome)
    assert "waited over 10 s" in outcome.problems[0].reason
    assert next(iter(state)).dropped == 1


def test_a_template_is_replaced_by_a_new_definition_and_a_refresh_changes_nothing() -> None:
    state = sessions()
    run(state, v9_packet(v9_template_set((300, FLOW))))
    assert state.changed
    state.changed = False
    run(state, v9_packet(v9_template_set((300, FLOW))))
    assert not state.changed  # a refresh of the same definition
    outcome = run(state, v9_packet(v9_template_set((300, PORTS)), data_set(300, b"\x00\x50" * 2)))
    assert state.changed
    assert fields(outcome) == [{"source_transport_port": 80, "destination_transport_port": 80}]


def test_templates_are_scoped_by_exporter_domain_and_version() -> None:
    state = sessions()
    run(state, v9_packet(v9_template_set((300, PORTS)), source_id=1))
    other_domain = run(state, v9_packet(data_set(300, b"\x00\x50\x01\xbb"), source_id=2))
    other_exporter = run(
        state, v9_packet(data_set(300, b"\x00\x50\x01\xbb"), source_id=1), ip="192.0.2.9"
    )
    ipfix_same_ids = run(state, ipfix_message(data_set(300, b"\x00\x50\x01\xbb"), domain=1))
    assert other_domain.flows == other_exporter.flows == ipfix_same_ids.flows == []
    same = run(state, v9_packet(data_set(300, b"\x00\x50\x01\xbb"), source_id=1))
    assert fields(same) == [{"source_transport_port": 80, "destination_transport_port": 443}]


def test_the_exporter_port_is_not_part_of_the_key() -> None:
    state = sessions()
    template = decode(v9_packet(v9_template_set((300, PORTS))), exporter="x")
    state.process(template, ip="192.0.2.1", port=1000, now=0)
    data = decode(v9_packet(data_set(300, b"\x00\x35\x00\x35")), exporter="x")
    outcome = state.process(data, ip="192.0.2.1", port=2000, now=0)
    assert fields(outcome) == [{"source_transport_port": 53, "destination_transport_port": 53}]


def test_ipfix_withdrawal_of_one_template_and_of_all() -> None:
    state = sessions()
    run(
        state,
        ipfix_message(
            ipfix_template_set(ipfix_template(256, [(4, 1)]), ipfix_template(257, [(7, 2)]))
        ),
    )
    run(state, ipfix_message(ipfix_withdrawal_set(256)))
    assert set(next(iter(state)).templates) == {257}
    run(state, ipfix_message(ipfix_withdrawal_set(2)))
    assert next(iter(state)).templates == {}
    outcome = run(state, ipfix_message(data_set(257, b"\x00\x50", pad=False)))
    assert outcome.flows == []  # waits for a new template


def test_options_records_are_state_not_flows() -> None:
    state = sessions()
    outcome = run(
        state,
        v9_packet(
            v9_options_template_set(400, [(1, 4)], [(34, 4), (35, 1)]),
            data_set(400, b"\0\0\0\0" + struct.pack("!IB", 100, 2)),
            v9_template_set((300, FLOW)),
            data_set(300, flow("10.0.0.1", "10.0.0.2", 1000, 10)),
        ),
    )
    (record,) = outcome.flows
    assert record.options.sampling == {"": 100.0}
    assert record.options.rate_for(record.fields) == 100.0


def test_interface_and_application_names_from_options() -> None:
    state = sessions()
    run(
        state,
        v9_packet(
            v9_options_template_set(400, [(2, 4)], [(82, 8)]),
            data_set(400, struct.pack("!I", 3) + b"Gi0/1\0\0\0"),
            v9_options_template_set(401, [(1, 4)], [(95, 4), (96, 8)]),
            data_set(401, b"\0\0\0\0" + bytes.fromhex("0d000050") + b"http\0\0\0\0"),
        ),
    )
    options = next(iter(state)).options
    assert options.interfaces == {3: "Gi0/1"}
    assert options.applications == {"0d000050": "http"}


def test_state_survives_a_json_round_trip() -> None:
    state = sessions()
    run(
        state,
        ipfix_message(
            ipfix_template_set(ipfix_template(256, [(4, 1), (7, 3, 9)])),
            ipfix_options_template_set(257, 1, [(149, 4), (305, 4), (306, 4)]),
            data_set(257, struct.pack("!III", 1, 1, 9), pad=False),
            domain=4,
        ),
    )
    saved = json.loads(json.dumps(state.to_json()))
    restored = sessions()
    assert restored.restore(saved) == 0
    outcome = run(restored, ipfix_message(data_set(256, b"\x06abc", pad=False), domain=4))
    assert fields(outcome) == [{"protocol_identifier": 6, "pen9_ie_7": "616263"}]
    assert outcome.flows[0].options.rate_for({}) == 10.0


def test_damaged_saved_entries_are_skipped_and_counted() -> None:
    state = sessions()
    bad = [{"exporter": "192.0.2.1", "version": 9, "domain": 0, "templates": [["x"]]}, {"a": 1}]
    good = {
        "exporter": "192.0.2.2",
        "version": 10,
        "domain": 0,
        "templates": [[256, 0, False, [[4, 1, 0]]]],
    }
    assert state.restore([*bad, good]) == 2
    assert fields(run(state, ipfix_message(data_set(256, b"\x06", pad=False)), ip="192.0.2.2"))


def test_ipfix_sequence_gaps_count_records() -> None:
    state = sessions()
    template = ipfix_template_set(ipfix_template(256, [(4, 1)]))
    assert (
        run(
            state, ipfix_message(template, data_set(256, b"\x06" * 3, pad=False), sequence=0)
        ).sequence_gap
        == 0
    )
    assert (
        run(state, ipfix_message(data_set(256, b"\x06" * 2, pad=False), sequence=3)).sequence_gap
        == 0
    )
    assert (
        run(state, ipfix_message(data_set(256, b"\x06", pad=False), sequence=9)).sequence_gap == 4
    )


def test_v9_sequence_gaps_count_packets() -> None:
    state = sessions()
    gaps = [run(state, v9_packet(sequence=n)).sequence_gap for n in (10, 11, 14, 15)]
    assert gaps == [0, 0, 2, 0]


def run_columnar(state: Sessions, datagram: bytes, *, now: float = 0) -> Outcome:
    packet = decode(datagram, exporter="192.0.2.1")
    return state.process(packet, ip="192.0.2.1", port=2055, now=now, columnar=True)


def test_columnar_sets_come_back_undecoded_with_their_record_count() -> None:
    records = [flow("10.0.0.1", "10.0.0.2", n, 1) for n in (5, 6, 7)]
    datagram = v9_packet(v9_template_set((300, FLOW)), data_set(300, *records), sequence=4)
    outcome = run_columnar(sessions(), datagram)
    assert outcome.flows == []
    (kept,) = outcome.sets
    assert kept.count == 3 and kept.layout.dtype.itemsize == 16
    assert kept.export.sequence == 4
    assert fields(run(sessions(), datagram)) == [f.fields for f in kept.flows()]


def test_columnar_sets_are_released_when_their_template_comes() -> None:
    state = sessions()
    early = run_columnar(state, v9_packet(data_set(300, flow("10.0.0.1", "10.0.0.2", 9, 1))))
    assert early.sets == [] and early.flows == []
    later = run_columnar(state, v9_packet(v9_template_set((300, FLOW)), sequence=1))
    assert [s.count for s in later.sets] == [1] and later.flows == []
    assert len(next(iter(state)).waiting) == 0


def test_variable_length_and_options_sets_stay_dicts() -> None:
    template = ipfix_template(256, [(8, 4), (96, 0xFFFF)])
    datagram = ipfix_message(
        ipfix_template_set(template), data_set(256, ipv4("10.0.0.1") + b"\x03ssl", pad=False)
    )
    outcome = run_columnar(sessions(), datagram)
    assert outcome.sets == [] and fields(outcome) == [
        {"source_ipv4_address": "10.0.0.1", "application_name": "ssl"}
    ]


def test_options_later_in_the_packet_send_earlier_sets_to_the_dict_path() -> None:
    """The dict path reads a packet's flows with the options as they are after it; a set
    decoded before an options record is read with the new rate, so not as columns."""
    state = sessions()
    sampling = (
        v9_options_template_set(400, [(1, 4)], [(34, 4)]),
        data_set(400, b"\0\0\0\0" + struct.pack("!I", 10)),
    )
    data = data_set(300, flow("10.0.0.1", "10.0.0.2", 5, 1))
    outcome = run_columnar(state, v9_packet(v9_template_set((300, FLOW)), data, *sampling))
    assert outcome.sets == []
    (record,) = outcome.flows
    assert record.options.rate_for(record.fields) == 10
    again = run_columnar(state, v9_packet(data, sequence=1))
    (kept,) = again.sets
    assert kept.options.rate == 10 and again.flows == []


def test_padding_after_two_byte_records_is_not_a_flow_on_either_path() -> None:
    # v9 pads the FlowSet of 3 two-byte records with 2 zero bytes (netflow_craft.flowset)
    datagram = v9_packet(v9_template_set((300, [(7, 2)])), data_set(300, b"\x00\x35" * 3))
    assert len(datagram) % 4 == 0
    outcome = run(sessions(), datagram)
    assert fields(outcome) == [{"source_transport_port": 53}] * 3
    columnar = sessions().process(
        decode(datagram, exporter="x"), ip="192.0.2.1", port=2055, now=0, columnar=True
    )
    assert [s.count for s in columnar.sets] == [3] and columnar.flows == []
