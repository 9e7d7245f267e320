"""Run a pass's single-event rules as one batch, to learn which of them have nothing to report.

The scheduler runs each rule as its compiled statement, which is what an alert is built from.
With thousands of rules, planning those statements is most of a pass (6.2 s for the 2,702
shipped single-event rules over a 20-event window; measured here). `quiet_rules` asks the
store to evaluate all their conditions together (`soc.storage.rule_batch`, 0.5 s for the same
window, same matches) and returns the rules that matched nothing: the scheduler skips their
statements. The few rules that did match still run their own statement, so alerts are
unchanged.

`split_conditions` is shared with `soc hunt`: both need each rule's condition without the
SELECT around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from soc.rules import CompiledRule
from soc.rules.framing import event_select
from soc.storage.rule_batch import RuleCondition, RuleMatches

MIN_RULES = 20
"""Fewer rules than this in a window run one by one: batching would not pay for itself."""
_MARK = "\x00"


@runtime_checkable
class RuleBatchStore(Protocol):
    """A store that can evaluate many single-event conditions over a window at once."""

    def match_rules(
        self,
        rules: Sequence[RuleCondition],
        *,
        ingested_after: datetime,
        ingested_until: datetime,
    ) -> RuleMatches | None: ...


def statement_frame() -> tuple[str, str]:
    """The SQL `framing.event_select` puts before and after a condition, in the field layout
    in force (`soc.rules.sqlfields.flat_columns` changes the entity columns it reads)."""
    before, after = event_select(_MARK).split(_MARK)
    return before, after


def split_conditions(
    rules: Iterable[CompiledRule], frame: tuple[str, str]
) -> tuple[list[RuleCondition], list[CompiledRule]]:
    """Single-event rules as conditions, and the rules to run whole as compiled.

    A statement of another shape than `frame` (a correlation, or whatever a future compiler
    emits) simply goes in the second list.
    """
    before, after = frame
    conditions: list[RuleCondition] = []
    whole: list[CompiledRule] = []
    for rule in rules:
        sql = rule.sql
        fits = sql.startswith(before) and sql.endswith(after) and len(sql) > len(before + after)
        if rule.kind == "event" and fits:
            conditions.append(RuleCondition(rule.id, sql[len(before) : len(sql) - len(after)]))
        else:
            whole.append(rule)
    return conditions, whole


def quiet_rules(
    store: object, rules: Sequence[CompiledRule], *, after: datetime, until: datetime
) -> set[str]:
    """Ids of single-event rules that no event ingested in (after, until] satisfies.

    Empty (skip nothing) when the store cannot batch, the window is too large for it, or there
    are too few rules to bother; a rule the batch could not evaluate is never called quiet.
    """
    if len(rules) < MIN_RULES or not isinstance(store, RuleBatchStore):
        return set()
    conditions, _ = split_conditions(rules, statement_frame())
    found = store.match_rules(conditions, ingested_after=after, ingested_until=until)
    if found is None:
        return set()
    return {key for key, ids in found.events.items() if not ids and key not in found.errors}
