"""pySigma correlation rules as the plans `soc.rules.correlation_sql` turns into SQL.

Everything the specification says a correlation means is decided here, once, for every type:
which field names each referenced rule uses for the group (aliases), what is measured, and the
condition. What cannot be expressed faithfully is refused with a reason, never approximated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NoReturn

from sigma.correlations import (
    CorrelationConditionAND,
    CorrelationConditionNOT,
    CorrelationConditionOR,
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaExtendedCorrelationCondition,
    SigmaRuleReference,
)
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.rule import SigmaRule

from soc.rules.correlation_sql import VALUE_KINDS, Correlation, Kind, Source
from soc.rules.sqlfields import field_sql, is_numeric, text_sql

OPERATORS = {
    SigmaCorrelationConditionOperator.LT: "<",
    SigmaCorrelationConditionOperator.LTE: "<=",
    SigmaCorrelationConditionOperator.GT: ">",
    SigmaCorrelationConditionOperator.GTE: ">=",
    SigmaCorrelationConditionOperator.EQ: "=",
    SigmaCorrelationConditionOperator.NEQ: "<>",
}


def correlation_plan(rule: SigmaCorrelationRule, planned: Mapping[int, Correlation]) -> Correlation:
    """The plan of one correlation; `planned` holds those already made, by `id()` of the rule
    object, for correlations that refer to correlations."""
    kind: Kind = rule.type.name.lower()  # type: ignore[assignment]
    condition = rule.condition
    fields = _value_fields(rule, kind)
    sources = tuple(_source(rule, ref, kind, fields, planned) for ref in rule.referenced_rules)
    common = {
        "kind": kind,
        "sources": sources,
        "group_count": len(rule.group_by or ()),
        "timespan_seconds": rule.timespan.seconds,
    }
    if isinstance(condition, SigmaExtendedCorrelationCondition):
        if kind == "temporal_ordered":
            _refuse(rule, "temporal_ordered takes its rules in order, not a boolean condition")
        names = {_key(ref): i for i, ref in enumerate(rule.referenced_rules)}
        return Correlation(**common, expression=_expression(condition.parsed, names))
    assert isinstance(condition, SigmaCorrelationCondition)
    if kind == "temporal_ordered" and not (
        condition.op == SigmaCorrelationConditionOperator.GTE and condition.count == len(sources)
    ):
        _refuse(rule, "temporal_ordered needs every rule, in order: leave its condition out")
    percentile = None
    if kind == "value_percentile":
        if condition.percentile is None or not 0 <= condition.percentile <= 100:
            _refuse(rule, "value_percentile needs `percentile` (0 to 100) in its condition")
        percentile = float(condition.percentile)
    return Correlation(
        **common, op=OPERATORS[condition.op], threshold=condition.count, percentile=percentile
    )


def _value_fields(rule: SigmaCorrelationRule, kind: str) -> tuple[str, ...]:
    if kind not in VALUE_KINDS:
        return ()
    condition = rule.condition
    fieldref = condition.fieldref if isinstance(condition, SigmaCorrelationCondition) else None
    fields = (fieldref,) if isinstance(fieldref, str) else tuple(fieldref or ())
    if not fields:
        _refuse(rule, f"{kind} needs `field` in its condition")
    if len(fields) > 1 and kind != "value_count":
        _refuse(rule, f"{kind} aggregates one field, not {len(fields)}")
    return fields


def _source(
    rule: SigmaCorrelationRule,
    ref: SigmaRuleReference,
    kind: str,
    value_fields: tuple[str, ...],
    planned: Mapping[int, Correlation],
) -> Source:
    rule_id = str(ref.rule.id) if ref.rule.id else (ref.rule.name or ref.reference)
    groups = [_aliased(rule, ref, name) for name in rule.group_by or ()]
    if isinstance(ref.rule, SigmaCorrelationRule):
        if kind in VALUE_KINDS:
            _refuse(rule, f"{kind} measures event fields; {ref.reference} is a correlation")
        inner = planned.get(id(ref.rule))
        if inner is None:
            _refuse(rule, f"{ref.reference} has not been compiled")
        inner_fields = list(ref.rule.group_by or ())
        missing = [name for name in groups if name not in inner_fields]
        if missing:
            _refuse(
                rule,
                f"groups by {', '.join(missing)}, which correlation {ref.reference} does not "
                "group by (its windows carry only its own group fields)",
            )
        return Source(
            rule_id, inner=inner, inner_groups=tuple(inner_fields.index(n) for n in groups)
        )
    assert isinstance(ref.rule, SigmaRule)
    queries = ref.rule.get_conversion_result()
    where = " OR ".join(f"({q})" for q in queries) if len(queries) > 1 else queries[0]
    values = [_aliased(rule, ref, name) for name in value_fields]
    return Source(
        rule_id,
        where=where,
        group_sql=tuple(f"lower({text_sql(name)})" for name in groups),
        value_sql=tuple(_value_sql(name, kind) for name in values),
    )


def _value_sql(field: str, kind: str) -> str:
    """Distinct values compare without case (as group keys do); the others are numbers."""
    if kind == "value_count":
        return f"lower({text_sql(field)})"
    if is_numeric(field):
        return f"CAST({field_sql(field)} AS DOUBLE)"
    return f"TRY_CAST({text_sql(field)} AS DOUBLE)"


def _aliased(rule: SigmaCorrelationRule, ref: SigmaRuleReference, name: str) -> str:
    """The referenced rule's own field for a group-by name (an alias, or the name itself)."""
    alias = rule.aliases.aliases.get(name)
    if alias is None:
        return name
    for alias_ref, mapped in alias.mapping.items():
        if alias_ref.reference in (ref.reference, str(ref.rule.id), ref.rule.name):
            return mapped
    _refuse(rule, f"alias {name!r} names no field for rule {ref.reference}")


def _expression(node: object, names: Mapping[str, int]) -> str:
    """An extended condition (`a and not b`) over the per-window flags `has<i>`."""
    if isinstance(node, SigmaRuleReference):
        return f"has{names[node.reference]}"
    if isinstance(node, CorrelationConditionNOT):
        return f"NOT ({_expression(node.args[0], names)})"
    joiner = {CorrelationConditionAND: " AND ", CorrelationConditionOR: " OR "}[type(node)]
    return "(" + joiner.join(_expression(arg, names) for arg in node.args) + ")"  # type: ignore[attr-defined]


def _key(ref: SigmaRuleReference) -> str:
    return ref.reference


def _refuse(rule: SigmaCorrelationRule, reason: str) -> NoReturn:
    raise SigmaFeatureNotSupportedByBackendError(reason, source=rule.source)
