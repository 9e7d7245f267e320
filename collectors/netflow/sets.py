"""What v9 FlowSets and IPFIX Sets share: a 4-byte header (id, length) and the walk over them.

Both protocols make a bad set cost only itself where the framing allows: a set whose length
field is impossible stops the walk (nothing after it can be found), but the sets before it
are kept, and a malformed template record loses only the rest of its own set.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

from collectors.netflow.templates import Template, Withdrawal

SET_HEADER = struct.Struct("!HH")
MIN_DATA_SET_ID = 256


class DataSet(NamedTuple):
    template_id: int
    body: bytes  # the records and any padding, without the set header


class Problem(NamedTuple):
    """A part of a datagram that could not be used, for the dead-letter file."""

    reason: str
    raw: bytes


SetItem = Template | Withdrawal | DataSet


def walk_sets(
    datagram: bytes, start: int, end: int, *, starts_before: int | None = None
) -> Iterator[tuple[int, bytes] | Problem]:
    """(set id, body) for each set in datagram[start:end], or a Problem that ends the walk.

    `starts_before`: only sets that begin before this offset are read (each still whole, up to
    `end`); the bytes from there on are ignored.
    """
    offset = start
    stop = end if starts_before is None else min(end, starts_before)
    while offset < stop:
        short = end - offset < SET_HEADER.size
        set_id, length = (0, 0) if short else SET_HEADER.unpack_from(datagram, offset)
        if (short or length == 0) and not any(datagram[offset:end]):
            return  # zero fill after the last set (Palo Alto pads datagrams): not data
        if short:
            yield Problem(f"{end - offset} stray bytes after the last set", datagram[offset:end])
            return
        if length < SET_HEADER.size:
            yield Problem(
                f"set {set_id} at byte {offset} has length {length}: the rest is unreadable",
                datagram[offset:end],
            )
            return
        if offset + length > end:
            yield Problem(
                f"set {set_id} at byte {offset} claims {length} bytes, "
                f"{end - offset} remain: truncated",
                datagram[offset:end],
            )
            return
        yield set_id, datagram[offset + SET_HEADER.size : offset + length]
        offset += length


def after_alignment(body: bytes, offset: int) -> int:
    """Where the next options template record starts: past two zero bytes that align the one
    before it.

    An options template record is two bytes short of 32-bit alignment (a 6-byte header, 4- or
    8-byte fields); an exporter that pads each record, not only the set, leaves two zero bytes
    between records. Template id 0 is never valid, so two zero bytes with more data after them
    are that padding, not a record.
    """
    if body[offset : offset + 2] == b"\0\0" and any(body[offset + 2 :]):
        return offset + 2
    return offset
