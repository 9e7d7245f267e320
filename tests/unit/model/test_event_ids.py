"""Event ids: UUIDv7, unique, time-ordered across milliseconds, distinct across forked processes;
the same of the ids NetFlow's columnar paths make as one Arrow array."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

import pytest

from collectors.netflow.columnar import event_ids
from soc.model.event import new_event_id, new_event_ids


def _column(count: int) -> list[str]:
    return event_ids(count).to_pylist()


MAKERS = pytest.mark.parametrize("make", [new_event_ids, _column], ids=["python", "column"])


def _ms(text: str) -> int:
    return int(text.replace("-", "")[:12], 16)


@MAKERS
def test_ids_are_uuid7_and_unique(make: Callable[[int], list[str]]) -> None:
    ids = [new_event_id() for _ in range(10_000)] + make(10_000)
    assert len(set(ids)) == 20_000
    for text in ids[:100] + ids[-10_000:]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert abs(_ms(ids[-1]) - time.time_ns() // 1_000_000) < 5_000


@MAKERS
def test_ids_order_by_creation_millisecond(make: Callable[[int], list[str]]) -> None:
    first = new_event_id()
    time.sleep(0.002)
    later = make(3)
    assert all(first < text for text in later)
    time.sleep(0.002)
    assert all(text < new_event_id() for text in later)


@MAKERS
def test_a_forked_child_does_not_repeat_the_parents_ids(make: Callable[[int], list[str]]) -> None:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report its ids and leave without running pytest's exit handlers
        os.write(writer, ",".join(make(50)).encode())
        os._exit(0)
    os.close(writer)
    parent = set(make(50))
    with os.fdopen(reader) as pipe:
        child = set(pipe.read().split(","))
    os.waitpid(pid, 0)
    assert len(child) == 50 and not parent & child
    assert not {text[14:] for text in parent} & {text[14:] for text in child}  # random parts
