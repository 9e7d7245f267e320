"""EVTX `SystemTime` to `@timestamp`: the shortcut for EVTX's own shape gives exactly what the
general ISO 8601 path gives, and refuses the same dates."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from collectors.parsers.windows_event import _utc_milliseconds
from soc.model.event import isoformat, parse_timestamp


def general(value: str) -> str:
    return isoformat(parse_timestamp(value))


def outcome(convert: Callable[[str], str], value: str) -> str:
    try:
        return convert(value)
    except (ValueError, OverflowError) as exc:
        return type(exc).__name__


EDGES = [
    "2019-02-13T18:03:28.193541Z",
    "2019-02-13T18:03:28.999999Z",
    "2019-02-13T18:03:28.000000Z",
    "0001-01-01T00:00:00.000000Z",
    "9999-12-31T23:59:59.999999Z",
    "2020-02-29T12:00:00.123456Z",
    "2019-02-29T12:00:00.123456Z",
    "2019-02-13T24:00:00.000000Z",
    "2019-02-13T18:03:60.000000Z",
    "2019-13-01T00:00:00.000000Z",
    "2019-02-13 18:03:28.193541Z",
    "2019-02-13T18:03:28,193541Z",
    "2019-02-13T18:03:28.193541+00:00",
    "2019-02-13T18:03:28Z",
    "2019-02-13T18:03:28.1935412Z",
    "２０19-02-13T18:03:28.193541Z",
]


@pytest.mark.parametrize("value", EDGES)
def test_edges_match_the_general_path(value: str) -> None:
    assert outcome(_utc_milliseconds, value) == outcome(general, value)


def test_random_system_times_match_the_general_path() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        value = (
            f"{rng.randint(1, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}T"
            f"{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}:{rng.randint(0, 60):02d}."
            f"{rng.randint(0, 999999):06d}Z"
        )
        assert outcome(_utc_milliseconds, value) == outcome(general, value), value
