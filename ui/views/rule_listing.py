"""The rules page's rows: every rule of the catalog, compiled or not, with its detection state.

A catalog of SigmaHQ has thousands of rules, so filtering and paging happen here over plain
rows, once per request, rather than in the template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from soc.cases.views import RuleStateView
from soc.model.alert import severity_rank
from soc.rules import Catalog, CompiledRule, RuleProblem

STATUSES = ("enabled", "disabled", "failing", "not_compiled", "hunt_only")
"""What the status filter offers; a rule can be in several at once (disabled and failing; hunt
only: below `detection.min_level`, so live detection skips it and only hunts run it)."""

NOT_COMPILED_STAGES = ("load", "compile")  # "validate" findings are style, the rule still runs
MAX_SOURCE_BYTES = 256 * 1024


@dataclass(frozen=True)
class RuleRow:
    """One line of the rules page: a compiled rule, or a problem that kept one from compiling."""

    title: str
    source: str  # path:line
    rule: CompiledRule | None = None
    problem: RuleProblem | None = None
    state: RuleStateView | None = None
    hunt_only: bool = False  # below detection.min_level: retro-hunts and `soc hunt` only

    @property
    def id(self) -> str | None:
        return self.rule.id if self.rule else self.problem.rule_id if self.problem else None

    @property
    def enabled(self) -> bool:
        return self.state.enabled if self.state is not None else True

    @property
    def failing(self) -> bool:
        """Quarantined: its last run failed and detection skips it until a retry or a restart."""
        return self.rule is not None and self.state is not None and bool(self.state.last_error)

    @property
    def statuses(self) -> tuple[str, ...]:
        if self.rule is None:
            return ("not_compiled",)
        found = ["enabled" if self.enabled else "disabled"]
        if self.failing:
            found.append("failing")
        if self.hunt_only:
            found.append("hunt_only")
        return tuple(found)

    @property
    def attack_tags(self) -> tuple[str, ...]:
        return tuple(t for t in (self.rule.tags if self.rule else ()) if t.startswith("attack."))


def rule_rows(
    catalog: Catalog, states: Mapping[str, RuleStateView], *, min_level: str | None = None
) -> list[RuleRow]:
    """Compiled rules and problems, by title (a problem without a title by its file). Rules
    below `min_level` (live detection's `detection.min_level`) are marked hunt only."""
    floor = severity_rank(min_level) if min_level else 0
    rows = [
        RuleRow(
            title=rule.title,
            source=rule.source,
            rule=rule,
            state=states.get(rule.id),
            hunt_only=severity_rank(rule.level) < floor,
        )
        for rule in catalog.compiled
    ]
    rows.extend(
        RuleRow(title=problem.title or problem.where, source=problem.where, problem=problem)
        for problem in catalog.errors
        if problem.stage in NOT_COMPILED_STAGES
    )
    return sorted(rows, key=lambda row: (row.title.lower(), row.source))


def filter_rows(
    rows: Iterable[RuleRow], *, query: str | None, level: str | None, status: str | None
) -> list[RuleRow]:
    """`query` matches title, id, tag or file, ignoring case."""
    needle = (query or "").strip().lower()
    found = []
    for row in rows:
        if level is not None and (row.rule is None or row.rule.level != level):
            continue
        if status is not None and status not in row.statuses:
            continue
        if needle and not any(needle in text.lower() for text in _searchable(row)):
            continue
        found.append(row)
    return found


def count_statuses(rows: Sequence[RuleRow]) -> dict[str, int]:
    return {status: sum(status in row.statuses for row in rows) for status in STATUSES}


def find_row(rows: Iterable[RuleRow], rule_id: str) -> RuleRow | None:
    """The compiled rule of that id, else the problem naming it."""
    matching = [row for row in rows if row.id == rule_id]
    return next((row for row in matching if row.rule is not None), None) or next(
        iter(matching), None
    )


def yaml_document(source: str) -> str | None:
    """The YAML document a `path:line` location points at, as written in the file.

    Read from the rules folder the catalog was loaded from (never a path from a request);
    None when the file is gone or unreadable, which the page says instead of failing.
    """
    path_text, _, line_text = source.rpartition(":")
    if not path_text or not line_text.isdigit():
        path_text, line_text = source, "1"
    path = Path(path_text)
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return None
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    document = []
    for line in lines[max(0, int(line_text) - 1) :]:
        if line.rstrip() == "---" and document:
            break
        document.append(line)
    return "\n".join(document).strip("\n") + "\n"


def _searchable(row: RuleRow) -> list[str]:
    texts = [row.title, row.source]
    if row.id:
        texts.append(row.id)
    if row.rule is not None:
        texts.extend(row.rule.tags)
    return texts
