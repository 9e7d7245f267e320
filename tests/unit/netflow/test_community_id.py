"""Community ID v1: the spec's published vectors, and our fast path against the reference."""

from __future__ import annotations

import ipaddress
import logging

import communityid
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.netflow.community_id import CommunityId


@pytest.mark.parametrize(
    ("protocol", "src", "dst", "src_port", "dst_port", "expected"),
    [
        (6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
        (6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
        (17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
        # ICMP echo request: NetFlow puts type 8, code 0 in the destination port.
        (1, "192.168.0.89", "192.168.0.1", 0, 8 * 256, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
    ],
)
def test_published_vectors(
    protocol: int, src: str, dst: str, src_port: int, dst_port: int, expected: str
) -> None:
    assert CommunityId().of(protocol, src, dst, src_port, dst_port) == expected


ipv4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
port = st.integers(0, 65535)


@given(
    seed=st.integers(0, 65535),
    protocol=st.sampled_from([6, 17, 132]),
    src=ipv4,
    dst=ipv4,
    same_address=st.booleans(),
    src_port=port,
    dst_port=port,
)
def test_fast_path_equals_the_reference_implementation(
    seed: int, protocol: int, src: str, dst: str, same_address: bool, src_port: int, dst_port: int
) -> None:
    dst = src if same_address else dst
    reference = communityid.CommunityID(seed=seed).calc(
        communityid.FlowTuple(protocol, src, dst, src_port, dst_port)
    )
    assert CommunityId(seed).of(protocol, src, dst, src_port, dst_port) == reference


ipv6 = st.integers(0, 2**128 - 1).map(lambda n: str(ipaddress.IPv6Address(n)))
icmp_types = st.one_of(st.sampled_from([0, 8, 9, 10, 13, 14, 15, 16, 17, 18]), st.integers(0, 255))
icmp6_types = st.one_of(
    st.sampled_from([128, 129, 130, 131, 133, 134, 135, 136, 139, 140, 144, 145]),
    st.integers(0, 255),
)


@given(
    seed=st.integers(0, 65535),
    icmp=st.one_of(
        st.tuples(st.just(1), ipv4, ipv4, icmp_types),
        st.tuples(st.just(58), ipv6, ipv6, icmp6_types),
    ),
    same_address=st.booleans(),
    code=st.integers(0, 255),
)
def test_icmp_equals_the_reference_implementation(
    seed: int, icmp: tuple[int, str, str, int], same_address: bool, code: int
) -> None:
    """Echo and reply (and the other paired types) share an id in both directions; other
    types are one-way. NetFlow carries type * 256 + code in the destination port."""
    protocol, src, dst, kind = icmp
    dst = src if same_address else dst
    make = communityid.FlowTuple.make_icmp if protocol == 1 else communityid.FlowTuple.make_icmp6
    reference = communityid.CommunityID(seed=seed).calc(make(src, dst, kind, code))
    assert CommunityId(seed).of(protocol, src, dst, 0, kind << 8 | code) == reference


def test_both_directions_of_a_flow_share_the_id_even_between_equal_addresses() -> None:
    ids, host = CommunityId(), "10.0.0.1"
    assert ids.of(6, host, host, 5000, 80) == ids.of(6, host, host, 80, 5000)
    assert ids.of(6, host, host, 5000, 80) != ids.of(17, host, host, 80, 5000)


def test_portless_protocols_hash_addresses_only() -> None:
    gre = CommunityId().of(47, "10.0.0.1", "10.0.0.2", 1234, 5678)
    expected = communityid.CommunityID().calc(
        communityid.FlowTuple.make_ip("10.0.0.1", "10.0.0.2", 47)
    )
    assert gre == expected
    assert gre == CommunityId().of(47, "10.0.0.2", "10.0.0.1", 0, 0)


def test_the_reference_path_logs_nothing_at_info(caplog: pytest.LogCaptureFixture) -> None:
    """ICMP goes through the package, which logs each hashed byte at INFO, the level `soc`
    runs at: eight lines per flow in the service log."""
    ids = CommunityId()
    with caplog.at_level(logging.INFO):
        assert ids.of(1, "10.0.0.1", "10.0.0.2", 0, 8 << 8).startswith("1:")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("communityid")] == []


@pytest.mark.parametrize(
    ("protocol", "src", "dst", "src_port", "dst_port"),
    [
        (6, "10.0.0.1", "10.0.0.2", 70_000, 80),  # a port sent in 4 bytes, out of range
        (47, "0a00000105", "10.0.0.2", 0, 0),  # a 5-byte "IPv4 address", kept as hex
        (6, "0a00000105", "10.0.0.2", 1, 2),
    ],
)
def test_a_tuple_no_id_can_be_made_of_raises_value_error(
    protocol: int, src: str, dst: str, src_port: int, dst_port: int
) -> None:
    # the one error (with OSError) that callers leave the id out for; anything else used to
    # escape `normalize_flows` and cost the datagram's other flows
    with pytest.raises((ValueError, OSError)):
        CommunityId().of(protocol, src, dst, src_port, dst_port)
