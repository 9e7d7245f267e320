"""Counts in the shell read as English: "1 event", "0 events", "2 matches"."""

from __future__ import annotations

from soc.model.plural import counted


def test_one_is_singular_every_other_count_plural() -> None:
    assert [counted(n, "event") for n in (0, 1, 2)] == ["0 events", "1 event", "2 events"]


def test_irregular_plurals_are_given() -> None:
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(3, "match", "matches") == "3 matches"
