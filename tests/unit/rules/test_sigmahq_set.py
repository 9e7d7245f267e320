"""The whole SigmaHQ rule set through our backend: every rule compiles, every query runs.

A catch-all log source item lets rules of sources we do not collect through as well, so every
construct SigmaHQ uses reaches the backend; each statement is then executed on an empty
`events` table, which makes DuckDB bind every function, cast and regular expression in it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shared_data import SHARED_DATA

from soc.detection.regression_layout import DEFAULT_RULE_DIRS
from soc.rules import Catalog, compile_rules, load_rules
from soc.storage import DuckDBEventStore

SIGMA = SHARED_DATA / "sigma"
FOLDERS = list(DEFAULT_RULE_DIRS)
PIPELINES = Path(__file__).resolve().parents[3] / "rules" / "pipelines"
CATCH_ALL = """\
name: every log source
priority: 100
transformations:
  - id: logsource_any
    type: add_condition
    conditions: {event.dataset: sigmahq}
"""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PLACEHOLDER = re.compile(r"%([A-Za-z][\w-]*)%")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    if not SIGMA.is_dir():
        pytest.skip(f"no SigmaHQ rules at {SIGMA}")
    folder = tmp_path_factory.mktemp("sigmahq")
    (folder / "any.yml").write_text(CATCH_ALL)
    ruleset = load_rules([SIGMA / name for name in FOLDERS])
    # Every placeholder SigmaHQ uses gets one value, so those rules compile too.
    names = sorted(
        {
            name
            for folder_name in FOLDERS
            for path in (SIGMA / folder_name).rglob("*.yml")
            if "|expand" in (text := path.read_text(encoding="utf-8"))
            for name in PLACEHOLDER.findall(text)
        }
    )
    placeholders = folder / "placeholders.yml"
    placeholders.write_text(
        "placeholders:\n" + "".join(f"  {name!r}: [value-of-{name}]\n" for name in names)
    )
    return compile_rules(ruleset, [PIPELINES, folder / "any.yml"], [placeholders])


def test_every_sigmahq_rule_compiles(catalog: Catalog) -> None:
    assert [str(problem) for problem in catalog.errors] == []
    assert len(catalog.compiled) > 3500


def test_every_compiled_sigmahq_rule_runs(catalog: Catalog) -> None:
    store = DuckDBEventStore(":memory:")
    failures = []
    for rule in catalog.compiled:
        try:
            store.run_rule(rule.sql, ingested_after=EPOCH, ingested_until=store.now())
        except Exception as exc:  # collect them all: one failure must not hide the next
            failures.append(f"{rule.source}: {exc}")
    store.close()
    assert failures == []
