"""Helpers for correlation tests: base rules, events at offsets from a fixed time, and a runner
that ingests in batches and runs the rule over each batch's ingest window, as the scheduler does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from soc.model.event import Event, isoformat, set_field, stamp
from soc.rules import Catalog, CompiledRule
from soc.storage import DuckDBEventStore

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # a 10-minute boundary
CORRELATION_ID = "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d"

BASE_RULES = {
    name: f"""\
---
title: {name}
name: {name}
logsource: {{product: test}}
detection: {{sel: {{event.action: {name}}}, condition: sel}}
"""
    for name in ("login_failed", "login_ok", "account_locked", "connection", "recon")
}


def correlation(body: str, *rules: str) -> str:
    """A correlation document (id CORRELATION_ID) followed by the base rules it names."""
    return f"title: correlation under test\nid: {CORRELATION_ID}\n{body}" + "".join(
        BASE_RULES[name] for name in rules
    )


def at(seconds: float) -> datetime:
    return (T0 + timedelta(seconds=seconds)).replace(tzinfo=None)


def ev(seconds: float, action: str, **fields: Any) -> Event:
    doc: Event = {"@timestamp": isoformat(T0 + timedelta(seconds=seconds))}
    set_field(doc, "event.action", action)
    for name, value in fields.items():
        set_field(doc, name.replace("__", "."), value)
    return stamp(doc, dataset="test")


class Runner:
    """One compiled correlation over a real store; `ingest` = write a batch, then one run."""

    def __init__(self, rule: CompiledRule, store: DuckDBEventStore) -> None:
        self.rule = rule
        self.store = store
        self.checkpoint = EPOCH

    def ingest(self, events: Iterable[Event]) -> list[dict[str, Any]]:
        self.store.write_batch(list(events))
        until = self.store.now()
        rows = self.run(self.checkpoint, until)
        self.checkpoint = until
        return rows

    def run(self, after: datetime, until: datetime | None = None) -> list[dict[str, Any]]:
        return self.store.run_rule(
            self.rule.sql, ingested_after=after, ingested_until=until or self.store.now()
        )


def runner_factory(
    compile_files: Callable[[dict[str, str]], Catalog], store: DuckDBEventStore
) -> Callable[[str], Runner]:
    def make(yaml_text: str) -> Runner:
        catalog = compile_files({"mr.yml": yaml_text})
        assert catalog.errors == []
        [rule] = [r for r in catalog.compiled if r.id == CORRELATION_ID]
        return Runner(rule, store)

    return make
