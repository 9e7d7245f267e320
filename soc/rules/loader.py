"""Load Sigma rules from files and directories, collecting every problem instead of raising.

Each YAML document is parsed on its own, so a problem is reported with the file *and* the line
where its document starts, and one bad document never hides the good ones next to it. Rules that
cannot be used (syntax, schema, duplicate id, a correlation naming a rule that is not there) are
left out of the set and listed in `RuleSet.errors`.

Sigma filters (documents with `filter:`, anywhere in a rules folder) are applied here, before
compiling: they are how a province tunes a rule, for every agency or one (`organization.id` in
the filter's selection), without editing the rule. pySigma adds the filter's condition to the
rule's with AND, so a filter that excludes says `condition: not selection`. A filter that names a
rule it cannot apply to (not loaded, a correlation, a log source the filter does not cover) is a
problem, not silently ignored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule, SigmaExtendedCorrelationCondition
from sigma.exceptions import SigmaError, SigmaRuleLocation
from sigma.filters import SigmaFilter
from sigma.modifiers import SigmaWideModifier, modifier_mapping
from sigma.rule import SigmaRule

from soc.rules.placeholders import PLACEHOLDERS_FILE
from soc.rules.problems import RuleProblem

SigmaItem = SigmaRule | SigmaCorrelationRule

UNKNOWN_SOURCE = "<unknown>"
PIPELINE_DIR = "pipelines"
"""Folder name that holds processing pipelines, not rules: skipped when loading rules."""


@dataclass
class RuleSet:
    """Loaded rules with their references resolved, ready to compile; and what could not load.

    `pipeline_dirs` are the `pipelines/` folders found in the loaded directories: the rules and
    the pipelines that map their fields ship together, so compiling uses them by default; so do
    the `placeholders.yml` files at the root of the loaded directories.
    """

    collection: SigmaCollection
    errors: list[RuleProblem] = field(default_factory=list)
    pipeline_dirs: list[Path] = field(default_factory=list)
    placeholder_files: list[Path] = field(default_factory=list)

    @property
    def rules(self) -> list[SigmaItem]:
        return list(self.collection.rules)


def load_rules(paths: Iterable[str | Path]) -> RuleSet:
    """Load every `*.yml`/`*.yaml` under the given files and directories (pipelines excluded)."""
    paths = [Path(p) for p in paths]
    _add_spec_modifiers()
    errors: list[RuleProblem] = []
    items: list[SigmaItem] = []
    filters: list[SigmaFilter] = []
    for path in _rule_files(paths, errors):
        for line, document in _documents(path, errors):
            _parse_document(path, line, document, items, filters, errors)
    items = _drop_duplicates(items, errors)
    items = _apply_filters(items, filters, errors)
    items = _drop_dangling_correlations(items, errors)
    pipeline_dirs = [p / PIPELINE_DIR for p in paths if (p / PIPELINE_DIR).is_dir()]
    placeholder_files = [p / PLACEHOLDERS_FILE for p in paths if (p / PLACEHOLDERS_FILE).is_file()]
    return RuleSet(
        SigmaCollection(init_rules=items, resolve_references=True),
        errors,
        pipeline_dirs,
        placeholder_files,
    )


def _add_spec_modifiers() -> None:
    """Modifier names of the Sigma 2.1 specification that pySigma spells otherwise.

    The specification names `utf16le` (pySigma knows it only as `wide`); registering the alias
    is idempotent, and done when loading rules rather than on import.
    """
    modifier_mapping.setdefault("utf16le", SigmaWideModifier)


def problem_for(
    item: SigmaItem | SigmaFilter, reason: str, stage: Literal["load", "compile", "validate"]
) -> RuleProblem:
    """A problem located at the rule's own document."""
    source = item.source
    return RuleProblem(
        path=str(source.path) if source else UNKNOWN_SOURCE,
        line=source.line if source else None,
        reason=reason,
        stage=stage,
        rule_id=str(item.id) if item.id else None,
        title=item.title or None,
    )


def location(item: SigmaItem) -> str:
    """`path:line` of the rule's YAML document."""
    source = item.source
    if source is None:
        return UNKNOWN_SOURCE
    return f"{source.path}:{source.line}" if source.line is not None else str(source.path)


def error_reason(error: BaseException) -> str:
    """The message of a pySigma error without the location it appends (we keep that apart)."""
    return str(error.args[0]) if error.args else type(error).__name__


def _rule_files(paths: Iterable[Path], errors: list[RuleProblem]) -> Iterator[Path]:
    for path in paths:
        if not path.exists():  # a mistyped rules directory must not mean "no rules" silently
            errors.append(_problem(path, None, "no such file or directory"))
        elif path.is_file():
            yield path
        else:
            yield from _yaml_files(path)


def _yaml_files(folder: Path) -> Iterator[Path]:
    for candidate in sorted(folder.rglob("*")):
        relative = candidate.relative_to(folder).parts
        if any(part == PIPELINE_DIR or part.startswith(".") for part in relative[:-1]):
            continue
        if relative == (PLACEHOLDERS_FILE,):
            continue
        if candidate.suffix in (".yml", ".yaml") and candidate.is_file():
            yield candidate


def _documents(path: Path, errors: list[RuleProblem]) -> Iterator[tuple[int, Any]]:
    """(first line, parsed content) of each YAML document in the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(_problem(path, None, f"cannot read: {exc}"))
        return
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            yield node.start_mark.line + 1, loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = f"invalid YAML: {getattr(exc, 'problem', None) or exc}"
        errors.append(_problem(path, mark.line + 1 if mark else None, reason))
    finally:
        loader.dispose()


def _parse_document(
    path: Path,
    line: int,
    document: Any,
    items: list[SigmaItem],
    filters: list[SigmaFilter],
    errors: list[RuleProblem],
) -> None:
    if document is None:  # empty document, e.g. a trailing '---'
        return
    if not isinstance(document, dict):
        errors.append(_problem(path, line, "a rule must be a YAML mapping"))
        return
    if "action" in document:
        reason = "Sigma collection actions (global/repeat/reset) are not supported"
        errors.append(_problem(path, line, reason))
        return
    collection = SigmaCollection.from_dicts(
        [document],
        collect_errors=True,
        source=SigmaRuleLocation(path, line),
        collect_filters=True,
        resolve_references=False,
    )
    for parsed in [*collection.rules, *collection.filters]:
        if parsed.errors:
            reasons = "; ".join(error_reason(e) for e in parsed.errors)
            errors.append(problem_for(parsed, reasons, "load"))
        elif isinstance(parsed, SigmaFilter):
            filters.append(parsed)
        else:
            items.append(parsed)
    if not collection.rules and not collection.filters:
        reasons = "; ".join(error_reason(e) for e in collection.errors) or "not a Sigma rule"
        errors.append(_problem(path, line, reasons))


def _problem(path: Path, line: int | None, reason: str) -> RuleProblem:
    return RuleProblem(path=str(path), line=line, reason=reason, stage="load")


def _drop_duplicates(items: list[SigmaItem], errors: list[RuleProblem]) -> list[SigmaItem]:
    """Ids key alerts and checkpoints, names key correlation references: both must be unique."""
    seen: dict[str, SigmaItem] = {}
    kept = []
    for item in items:
        keys = [f"id {item.id}"] if item.id else []
        keys += [f"name {item.name!r}"] if item.name else []
        clash = next((seen[key] for key in keys if key in seen), None)
        if clash is not None:
            reason = f"duplicate rule id or name, first used at {location(clash)}"
            errors.append(problem_for(item, reason, "load"))
            continue
        seen.update(dict.fromkeys(keys, item))
        kept.append(item)
    return kept


def _apply_filters(
    items: list[SigmaItem], filters: list[SigmaFilter], errors: list[RuleProblem]
) -> list[SigmaItem]:
    """Sigma filters (meta rules) add their exclusions to the rules they name, before compiling."""
    for sigma_filter in filters:
        errors.extend(_unappliable(sigma_filter, items))
        updated = []
        for item in items:
            try:
                updated.append(
                    sigma_filter.apply_on_rule(item) if isinstance(item, SigmaRule) else item
                )
            except SigmaError as exc:
                errors.append(problem_for(sigma_filter, error_reason(exc), "load"))
                updated.append(item)
        items = updated
    return items


def _unappliable(sigma_filter: SigmaFilter, items: list[SigmaItem]) -> list[RuleProblem]:
    """Rules a filter names but would leave alone (pySigma skips them without a word)."""
    if not isinstance(sigma_filter.filter.rules, list):  # `any`: every rule of its log source
        return []
    problems = []
    for ref in sigma_filter.filter.rules:
        name = _canonical(str(ref.reference))
        targets = [item for item in items if name in (str(item.id), item.name)]
        if not targets:
            reason = f"filter names rule {ref.reference}, which is not loaded"
        elif any(isinstance(t, SigmaCorrelationRule) for t in targets):
            reason = (
                f"filter names correlation {ref.reference}: filters apply to detection rules, "
                "name the rules it refers to"
            )
        elif any(t.logsource not in sigma_filter.logsource for t in targets):
            reason = f"filter's log source does not cover rule {ref.reference}'s"
        else:
            continue
        problems.append(problem_for(sigma_filter, reason, "load"))
    return problems


def _drop_dangling_correlations(
    items: list[SigmaItem], errors: list[RuleProblem]
) -> list[SigmaItem]:
    """Remove correlations that name a rule not loaded (repeated: dropping one may orphan more)."""
    while True:
        known = {str(item.id) for item in items if item.id} | {
            item.name for item in items if item.name
        }
        dangling = {}
        for item in items:
            if isinstance(item, SigmaCorrelationRule):
                missing = [ref for ref in _references(item) if ref not in known]
                if missing:
                    dangling[id(item)] = (item, missing)
        if not dangling:
            return items
        for item, missing in dangling.values():
            errors.append(
                problem_for(item, f"refers to rule(s) not loaded: {', '.join(missing)}", "load")
            )
        items = [item for item in items if id(item) not in dangling]


def _references(rule: SigmaCorrelationRule) -> list[str]:
    if rule.rules is not None:
        names = [str(ref.reference) for ref in rule.rules]
    elif isinstance(rule.condition, SigmaExtendedCorrelationCondition):
        names = list(rule.condition.get_referenced_rules())
    else:
        names = []
    return [_canonical(name) for name in names]


def _canonical(reference: str) -> str:
    """A rule id in the form `str(UUID)` gives (references may be upper case); names as is."""
    try:
        return str(uuid.UUID(reference))
    except ValueError:
        return reference
