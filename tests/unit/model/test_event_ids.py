"""Event ids: UUIDv7, unique, time-ordered across milliseconds, distinct across forked processes."""

from __future__ import annotations

import os
import time
import uuid

from soc.model.event import new_event_id, new_event_ids


def _ms(text: str) -> int:
    return int(text.replace("-", "")[:12], 16)


def test_ids_are_uuid7_and_unique() -> None:
    ids = [new_event_id() for _ in range(10_000)] + new_event_ids(10_000)
    assert len(set(ids)) == 20_000
    for text in ids[:100] + ids[-100:]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert abs(_ms(ids[-1]) - time.time_ns() // 1_000_000) < 5_000


def test_ids_order_by_creation_millisecond() -> None:
    first = new_event_id()
    time.sleep(0.002)
    later = new_event_ids(3)
    assert all(first < text for text in later)


def test_a_forked_child_does_not_repeat_the_parents_ids() -> None:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report its ids and leave without running pytest's exit handlers
        os.write(writer, ",".join(new_event_ids(50)).encode())
        os._exit(0)
    os.close(writer)
    parent = set(new_event_ids(50))
    with os.fdopen(reader) as pipe:
        child = set(pipe.read().split(","))
    os.waitpid(pid, 0)
    assert len(child) == 50 and not parent & child
