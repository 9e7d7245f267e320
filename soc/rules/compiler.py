"""Compile loaded Sigma rules into the SQL the event store runs, one statement per rule.

A rule that cannot be compiled (unsupported modifier, unmapped log source, unknown placeholder,
a correlation over a broken rule) is listed in `Catalog.errors` with its file and line; all the
others compile.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

from soc.errors import RuleError
from soc.rules import alternatives
from soc.rules.backend import DuckDBBackend
from soc.rules.framing import ENTITY_FIELDS, event_select
from soc.rules.loader import (
    RuleSet,
    SigmaItem,
    error_reason,
    load_rules,
    location,
    problem_for,
)
from soc.rules.placeholders import Placeholders
from soc.rules.problems import RuleProblem

LOGSOURCE_ITEM_PREFIX = "logsource_"
"""Pipeline items with this id prefix turn a logsource into a condition on our datasets."""

DEFAULT_LEVEL = "medium"


@dataclass(frozen=True)
class CompiledRule:
    """One runnable rule: metadata for alerts and the SQL for `EventStore.run_rule`."""

    id: str
    title: str
    level: str
    tags: tuple[str, ...]
    description: str
    kind: Literal["event", "correlation"]
    sql: str
    source: str  # path:line of the rule's YAML document
    entity_fields: tuple[str, ...]
    timespan_seconds: int | None = None  # correlations only
    references: tuple[str, ...] = ()  # correlations only: the rules (ids, else names) it uses


@dataclass
class Catalog:
    """Everything detection needs: the rules that compiled, and why the others did not."""

    compiled: list[CompiledRule] = field(default_factory=list)
    errors: list[RuleProblem] = field(default_factory=list)

    def get(self, rule_id: str) -> CompiledRule | None:
        return next((rule for rule in self.compiled if rule.id == rule_id), None)


def load_pipeline(paths: Iterable[str | Path]) -> ProcessingPipeline:
    """Our processing pipelines (YAML files, or directories of them), in priority order.

    A broken pipeline breaks every rule it maps, so it raises instead of being collected.
    Besides pySigma's transformations, pipelines may use ours (`alternatives.TYPE`).
    """
    alternatives.register()
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        files.extend(sorted(path.glob("*.yml")) if path.is_dir() else [path])
    pipelines = []
    for file in files:
        try:
            pipelines.append(ProcessingPipeline.from_yaml(file.read_text(encoding="utf-8")))
        except (OSError, SigmaError, ValueError) as exc:
            raise RuleError(f"invalid processing pipeline: {exc}", where=str(file)) from exc
    pipelines.sort(key=lambda p: (p.priority, p.name or ""))
    return sum(pipelines, ProcessingPipeline())


def compile_rules(
    ruleset: RuleSet,
    pipelines: Iterable[str | Path] | None = None,
    placeholders: Iterable[str | Path] | None = None,
) -> Catalog:
    """Compile every loadable rule; the rule set itself is left untouched (compiled on a copy).

    `pipelines` (YAML files or folders) default to the rule set's own `pipelines/` folders,
    `placeholders` (files of placeholder values) to its `placeholders.yml` files.
    """
    collection = copy.deepcopy(ruleset.collection)
    catalog = Catalog(errors=list(ruleset.errors))
    files = ruleset.placeholder_files if placeholders is None else [Path(p) for p in placeholders]
    try:
        values = Placeholders.load(files)
    except RuleError as exc:  # rules that use placeholders will each say which one is unknown
        values = Placeholders()
        reason = str(exc).removeprefix(f"{exc.where}: ")
        catalog.errors.append(RuleProblem(path=exc.where or "", reason=reason, stage="load"))
    backend = DuckDBBackend(
        load_pipeline(ruleset.pipeline_dirs if pipelines is None else pipelines),
        placeholders=values,
    )
    backend.init_processing_pipeline()
    failed: set[int] = set()
    for item in collection.rules:  # referenced rules come before the correlations using them
        try:
            queries = _convert(backend, item, failed)
        # A per-rule boundary: whatever one rule triggers in pySigma or in our backend, the
        # other rules still compile and this one is reported with its location.
        except Exception as exc:
            failed.add(id(item))
            catalog.errors.append(problem_for(item, error_reason(exc), "compile"))
            continue
        if item._output:  # pySigma's `generate: false`: referenced rules do not alert alone
            compiled = _compiled(item, queries)
            if compiled is None:
                catalog.errors.append(
                    problem_for(item, "a rule that alerts needs an id", "compile")
                )
            else:
                catalog.compiled.append(compiled)
    return catalog


def load_catalog(
    rules_dirs: Sequence[str | Path], *, pipelines: Iterable[str | Path] | None = None
) -> Catalog:
    """Load and compile rules; pipelines default to each rules directory's `pipelines/` folder."""
    return compile_rules(load_rules(rules_dirs), pipelines)


def _convert(backend: DuckDBBackend, item: SigmaItem, failed: set[int]) -> list[str]:
    if isinstance(item, SigmaCorrelationRule):
        broken = [ref.reference for ref in item.referenced_rules if id(ref.rule) in failed]
        if broken:
            raise RuleError(f"refers to rule(s) that failed to compile: {', '.join(broken)}")
        return backend.convert_correlation_rule(item)
    queries = backend.convert_rule(item)
    if not any(i.startswith(LOGSOURCE_ITEM_PREFIX) for i in item.applied_processing_items):
        raise RuleError(f"no pipeline maps log source {_logsource(item)}: not collected here")
    return queries or item.get_conversion_result()


def _compiled(item: SigmaItem, queries: list[str]) -> CompiledRule | None:
    if item.id is None:
        return None
    common = {
        "id": str(item.id),
        "title": item.title,
        "level": item.level.name.lower() if item.level else DEFAULT_LEVEL,
        "tags": tuple(str(tag) for tag in item.tags),
        "description": item.description or "",
        "source": location(item),
    }
    if isinstance(item, SigmaCorrelationRule):
        return CompiledRule(
            **common,
            kind="correlation",
            sql=queries[0],
            entity_fields=tuple(item.group_by or ()),
            timespan_seconds=item.timespan.seconds,
            references=tuple(
                str(ref.rule.id) if ref.rule.id else ref.reference for ref in item.referenced_rules
            ),
        )
    where = " OR ".join(f"({q})" for q in queries) if len(queries) > 1 else queries[0]
    return CompiledRule(
        **common, kind="event", sql=event_select(where), entity_fields=ENTITY_FIELDS
    )


def _logsource(rule: SigmaRule) -> str:
    source = rule.logsource
    parts = [f"{k}={v}" for k in ("product", "category", "service") if (v := getattr(source, k))]
    return ", ".join(parts) or "(none)"
