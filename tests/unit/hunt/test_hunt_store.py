"""The hunt store on real EVTX events: its flat columns, as the rules read them, hold exactly
what the live store reads from the document, rules ruled out early are only those that cannot
match, and one rule that DuckDB cannot run does not cost the others their matches."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shared_data import SHARED_DATA

from collectors.files import read_events
from soc.detection.hunt import HuntRules
from soc.detection.prefilter import split_conditions
from soc.rules.sqlfields import FlatColumns, field_sql, flat_columns, json_path
from soc.storage.hunt_store import HuntEventStore
from soc.storage.rule_batch import RuleCondition

EXECUTION = (
    SHARED_DATA / "evtx" / "hayabusa-sample-evtx" / "EVTX-to-MITRE-Attack" / "TA0002-Execution"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(windows_hunt: HuntRules) -> Iterator[HuntEventStore]:
    hunt = HuntEventStore(columns=windows_hunt.columns, lowered=windows_hunt.lowered)
    hunt.write_batch(list(read_events([EXECUTION], format="evtx")))
    yield hunt
    hunt.close()


def test_flat_columns_hold_what_the_document_path_reads(
    store: HuntEventStore, windows_hunt: HuntRules
) -> None:
    assert len(windows_hunt.columns) > 150
    checks = ", ".join(
        f"count_if({ident(name)} IS DISTINCT FROM json_extract_string(doc, {literal(path)}))"
        for name, path in windows_hunt.columns.items()
    )
    differing = store.run_rule(
        f"SELECT {checks} FROM events WHERE event_ingested > $after AND event_ingested <= $until",
        ingested_after=EPOCH,
        ingested_until=store.now(),
    )[0]
    assert set(differing.values()) == {0}
    filled = store.run_rule(
        'SELECT count("$.""winlog"".""channel""") AS n FROM events '
        "WHERE event_ingested > $after AND event_ingested <= $until",
        ingested_after=EPOCH,
        ingested_until=store.now(),
    )
    assert filled[0]["n"] == store.count() > 100


def test_a_failing_rule_is_reported_and_the_others_still_match(
    store: HuntEventStore, windows_hunt: HuntRules
) -> None:
    conditions, _ = split_conditions(windows_hunt.catalog.compiled, windows_hunt.frame)
    clean = store.match_rules(conditions)
    assert clean.errors == {}
    matched = {key: ids for key, ids in clean.events.items() if ids}
    assert len(matched) > 5

    broken = [
        # fails when DuckDB binds it
        RuleCondition("unbound", "lower(no_such_column) = 'x'"),
        # binds, then fails on the first row it reads (host names are not numbers)
        RuleCondition("runtime", "event_module = 'windows' AND CAST(host_name AS INTEGER) = 1"),
    ]
    mixed = store.match_rules([*conditions, *broken])
    assert set(mixed.errors) == {"unbound", "runtime"}
    assert {key: ids for key, ids in mixed.events.items() if ids} == matched


def test_only_rules_that_cannot_match_are_ruled_out(store: HuntEventStore) -> None:
    absent = 'lower("$.""winlog"".""channel""") = \'no such channel\''
    sysmon_or_any = f"{absent} OR event_module = 'windows'"
    result = store.match_rules(
        [
            RuleCondition("absent source", f"{absent} AND event_module = 'windows'"),
            RuleCondition("never true term", "event_module = 'windows' AND event_code = 'x'"),
            RuleCondition("top-level or", sysmon_or_any),
            RuleCondition("plain", "event_module = 'windows'"),
        ]
    )
    assert result.planned == 2  # the first two are decided by counting their short terms
    assert result.events["absent source"] == result.events["never true term"] == []
    assert len(result.events["top-level or"]) == len(result.events["plain"]) == store.count()


def test_flat_layout_reads_columns_only_inside_its_block() -> None:
    layout = FlatColumns()
    assert layout.column("winlog.event_data.ImagePath") == json_path("winlog.event_data.ImagePath")
    # DuckDB names are case-insensitive: a field differing only in case gets its own column
    assert layout.column("winlog.event_data.Imagepath").endswith("#2")
    assert layout.column("winlog.event_data.ImagePath") == json_path("winlog.event_data.ImagePath")
    assert set(layout.paths.values()) == {
        json_path("winlog.event_data.ImagePath"),
        json_path("winlog.event_data.Imagepath"),
    }

    live = field_sql("winlog.event_data.Image")
    with flat_columns(FlatColumns()) as hunt:
        flat = field_sql("winlog.event_data.Image")
        typed = field_sql("process.command_line")
    assert live == 'json_extract_string(doc, \'$."winlog"."event_data"."Image"\')'
    assert flat == '"$.""winlog"".""event_data"".""Image"""'
    assert typed == "process_command_line"
    assert hunt.paths == {'$."winlog"."event_data"."Image"': '$."winlog"."event_data"."Image"'}
    assert field_sql("winlog.event_data.Image") == live


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_batched_rules_run_in_utc_whatever_the_server_zone(tmp_path: Path) -> None:
    """DuckDB settings are per connection: the extra connections rules run on must be in UTC
    like the store's own, or `|hour` would follow the province's clock (UTC+7)."""
    script = tmp_path / "zone.py"
    script.write_text(
        "from soc.storage.hunt_store import HuntEventStore\n"
        "store = HuntEventStore()\n"
        "cursor = store._cursor()\n"
        "print(cursor.execute(\"SELECT date_part('hour', TIMESTAMPTZ '2026-01-01 03:00:00Z')\")"
        ".fetchone()[0])\n"
    )
    env = {**os.environ, "TZ": "Asia/Ho_Chi_Minh"}
    shown = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "3"


def test_lowered_columns_hold_their_column_lower_cased(
    store: HuntEventStore, windows_hunt: HuntRules
) -> None:
    assert len(windows_hunt.lowered) > 100
    checks = ", ".join(
        f"count_if({ident(name)} IS DISTINCT FROM lower({column}))"
        for name, column in windows_hunt.lowered.items()
    )
    differing = store.run_rule(
        f"SELECT {checks} FROM events WHERE event_ingested > $after AND event_ingested <= $until",
        ingested_after=EPOCH,
        ingested_until=store.now(),
    )[0]
    assert set(differing.values()) == {0}
