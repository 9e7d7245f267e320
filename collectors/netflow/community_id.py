"""Community ID v1 flow hashes, so that one flow has the same id in NetFlow, Zeek and Suricata.

The `communityid` package is the reference implementation, but it costs ~30 µs per flow (it
re-validates and re-packs every input); at NetFlow rates that alone would cap a collector near
30k flows/s. For TCP, UDP, SCTP and ICMP — nearly every flow — we hash the spec's layout
directly (~1 µs): seed, addresses, protocol, a zero pad byte and ports, endpoint pair ordered so
that both directions hash alike; ICMP's "ports" are its type and the counterpart type (echo and
reply) or its code, by the package's own tables (an ICMP flood cost 59 µs per flow through the
package, 210 µs with `soc`'s INFO logging on). Port-less protocols go to the package, and the
tests check the fast path against it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import socket
import struct

import communityid
import communityid.error
import communityid.icmp
import communityid.icmp6
import numpy as np

_PORT_PROTOCOLS = frozenset({6, 17, 132})  # tcp, udp, sctp
_ICMP_TYPES = {
    communityid.PROTO_ICMP: communityid.icmp.TYPE_MAPPER,
    communityid.PROTO_ICMP6: communityid.icmp6.TYPE_MAPPER,
}
"""ICMP and ICMPv6 message types that have a counterpart (echo and reply, ...), the package's
tables: a flow of one of them hashes like a two-way flow, any other type one-way."""
_TAIL = struct.Struct("!BxHH")
_V4_FLOW = np.dtype(
    {
        "names": ["seed", "a", "b", "proto", "pad", "a_port", "b_port"],
        "formats": [">u2", ">u4", ">u4", "u1", "u1", ">u2", ">u2"],
    }
)  # the hashed layout of `of` for an IPv4 flow with ports, 16 bytes
_ID_CHARS = 30  # "1:" and the base64 of a 20-byte SHA-1


class CommunityId:
    """Hashes flows with one seed; build once per listener (the package object is reusable)."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = struct.pack("!H", seed)
        self._reference = communityid.CommunityID(seed=seed)
        # The package logs every flow it hashes, byte by byte, at INFO (its troubleshooting
        # output): under `soc`'s INFO logging that was eight lines per ICMP flow in the
        # service's log and on `soc hunt`'s terminal.
        logging.getLogger(communityid.__name__).setLevel(logging.WARNING)

    def of(self, protocol: int, src: str, dst: str, src_port: int, dst_port: int) -> str:
        """The `network.community_id` of an IPv4 or IPv6 flow.

        For ICMP and ICMPv6, NetFlow carries the type and code in the destination port
        (type * 256 + code), which is where the spec's ICMP rules read them from.

        Raises OSError or ValueError, and nothing else, for a tuple no id can be made of: a
        field of an odd length is kept as hex (no address) and one wider than the element
        (a "port" in 4 bytes) can exceed its range; callers leave the id out then.
        """
        try:
            return self._of(protocol, src, dst, src_port, dst_port)
        except (struct.error, communityid.error.Error) as error:
            raise ValueError(f"no community id for {protocol} {src} {dst}: {error}") from error

    def _of(self, protocol: int, src: str, dst: str, src_port: int, dst_port: int) -> str:
        one_way = False
        if protocol in _ICMP_TYPES:  # the spec's port equivalents: type and its counterpart
            kind, code = dst_port >> 8, dst_port & 0xFF
            counterpart = _ICMP_TYPES[protocol].get(kind)
            src_port, dst_port = kind, code if counterpart is None else counterpart
            one_way = counterpart is None  # kept in the order seen
        elif protocol not in _PORT_PROTOCOLS:
            flow = communityid.FlowTuple.make_ip(src, dst, protocol)
            return self._reference.calc(flow)
        family = socket.AF_INET6 if ":" in src else socket.AF_INET
        a, b = socket.inet_pton(family, src), socket.inet_pton(family, dst)
        if not one_way and (a, src_port) > (b, dst_port):
            a, b, src_port, dst_port = b, a, dst_port, src_port
        tail = _TAIL.pack(protocol, src_port, dst_port)
        digest = hashlib.sha1(self._seed + a + b + tail).digest()
        return "1:" + base64.b64encode(digest).decode("ascii")

    def ipv4_port_flows(
        self,
        protocol: np.ndarray,
        src: np.ndarray,
        dst: np.ndarray,
        src_port: np.ndarray,
        dst_port: np.ndarray,
    ) -> bytes:
        """`of` for many IPv4 TCP/UDP/SCTP flows at once (addresses as integers): the ids'
        text, 30 ASCII bytes each, concatenated. The layout is built with numpy and encoded in
        one pass; what remains per flow is one SHA-1 (`hashlib`, in C)."""
        count = len(protocol)
        if not count:
            return b""
        swap = (src > dst) | ((src == dst) & (src_port > dst_port))
        flows = np.zeros(count, _V4_FLOW)
        flows["seed"] = int.from_bytes(self._seed, "big")
        flows["a"] = np.where(swap, dst, src)
        flows["b"] = np.where(swap, src, dst)
        flows["proto"] = protocol
        flows["a_port"] = np.where(swap, dst_port, src_port)
        flows["b_port"] = np.where(swap, src_port, dst_port)
        raw = flows.tobytes()
        sha1, size = hashlib.sha1, _V4_FLOW.itemsize
        # 21 bytes per digest (a zero appended) encode to 28 characters with no carry between
        # flows; the last is then the padding "=" that a lone 20-byte digest ends with.
        digests = b"\0".join(sha1(raw[i : i + size]).digest() for i in range(0, len(raw), size))
        encoded = np.frombuffer(base64.b64encode(digests + b"\0"), np.uint8).reshape(count, 28)
        text = np.empty((count, _ID_CHARS), np.uint8)
        text[:, 0], text[:, 1] = ord("1"), ord(":")
        text[:, 2:] = encoded
        text[:, -1] = ord("=")
        return text.tobytes()
