"""Our pySigma backend: Sigma conditions as DuckDB SQL over the `events` table.

Sigma's matching rules, spelled out because SQL's defaults differ (how one value is tested is
`soc.rules.values`; which values of an event are tested is `soc.rules.sqlfields`):

- a list-valued field matches when any element does (`event.category`, `related.ip`);
- numbers compare as numbers on integer columns and as their text elsewhere (Windows event ids
  are strings in ECS);
- `null` means the field is absent (or JSON null), `''` means present and empty, and
  `|exists` only asks whether the event has the field;
- keywords (values without a field) search the whole event, every field and value, as the
  specification says; in the document's JSON text, so quotes and backslashes are matched in
  their JSON form, which the keyword pattern is converted to;
- a missing field never satisfies a condition, so `not` (and `|neq`) treat SQL NULL as false:
  an event without the field is "different";
- `|expand` placeholders take their values from `soc.rules.placeholders`, per agency.

Conversion produces the WHERE condition of single-event rules (`soc.rules.framing` puts the
SELECT around it) and whole statements for correlations (`soc.rules.correlation_sql`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationRule
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
    SpecialChars,
)

from soc.rules.correlation_sql import Correlation, correlation_select
from soc.rules.correlations import correlation_plan
from soc.rules.placeholders import Placeholders
from soc.rules.sqlfields import (
    any_element_sql,
    exists_sql,
    field_sql,
    is_numeric,
    sql_literal,
    text_sql,
    timestamp_sql,
)
from soc.rules.values import (
    COMPARE_OPS,
    Predicate,
    any_text_predicate,
    cidr_predicate,
    compare_predicate,
    equals_any_predicate,
    number_predicate,
    regex_alternative_ok,
    regex_literal,
    regex_predicate,
    string_predicate,
)

DOCUMENT_TEXT = "CAST(doc AS VARCHAR)"
"""The whole event as JSON text: where keywords are searched."""
AGENCY_FIELD = "organization.id"


class DuckDBBackend(TextQueryBackend):
    """Sigma rules to DuckDB conditions over `events`; correlations to whole SELECTs."""

    name: ClassVar[str] = "SOC DuckDB backend"
    formats: ClassVar[dict[str, str]] = {"default": "DuckDB SQL over the events table"}
    correlation_methods: ClassVar[dict[str, str]] = {
        "default": "sliding windows over @timestamp, reported by ingest time",
    }

    group_expression: ClassVar[str] = "({expr})"
    or_token: ClassVar[str] = "OR"
    and_token: ClassVar[str] = "AND"
    not_token: ClassVar[str] = "NOT"
    eq_token: ClassVar[str] = " = "

    def __init__(
        self,
        processing_pipeline: ProcessingPipeline | None = None,
        *,
        placeholders: Placeholders | None = None,
    ) -> None:
        super().__init__(processing_pipeline)
        self.placeholders = placeholders or Placeholders()
        self._plans: dict[int, Correlation] = {}

    def escape_and_quote_field(self, field_name: str) -> str:
        return field_sql(field_name)

    # -- boolean structure ---------------------------------------------------------------------

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> str:
        # SQL NULL (field absent) must count as "did not match", so NOT of it is true.
        return f"NOT coalesce({self.convert_condition(cond.args[0], state)}, FALSE)"

    def convert_condition_or(self, cond: ConditionOR, state: ConversionState) -> str:
        return self._by_field(cond, state, any_value=True)

    def convert_condition_and(self, cond: ConditionAND, state: ConversionState) -> str:
        return self._by_field(cond, state, any_value=False)

    def _by_field(
        self, cond: ConditionOR | ConditionAND, state: ConversionState, *, any_value: bool
    ) -> str:
        """Values of one field are tested together, so the field is read once per event: a
        document field costs a JSON parse, and a list of twenty paths would cost twenty."""
        parts: list[tuple[bool, str]] = []  # (is a field of `values`, field name or SQL)
        values: dict[str, list[Any]] = {}
        for arg in cond.args:
            if isinstance(arg, ConditionFieldEqualsValueExpression) and self._per_value(arg):
                if arg.field not in values:
                    parts.append((True, arg.field))
                values.setdefault(arg.field, []).append(arg.value)
            else:
                parts.append((False, self._operand(cond, arg, state)))
        converted = []
        for is_field, text in parts:
            if not is_field:
                converted.append(text)
            elif any_value:
                converted.append(any_element_sql(text, self._predicate(values[text])))
            else:  # each value may match a different element of a list
                tests = [self._predicate([value]) for value in values[text]]
                converted.append(any_element_sql(text, *tests))
        return f" {'OR' if any_value else 'AND'} ".join(converted)

    def _operand(self, parent: ConditionItem, arg: Any, state: ConversionState) -> str:
        if self.compare_precedence(parent, arg):
            return self.convert_condition(arg, state)
        return self.convert_condition_group(arg, state)

    # -- field = value -------------------------------------------------------------------------

    def convert_condition_field_eq_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        value = cond.value
        if isinstance(value, SigmaString | SigmaRegularExpression) and value.contains_placeholder():
            return self._expanded(
                value, lambda v: ConditionFieldEqualsValueExpression(cond.field, v), state
            )
        return super().convert_condition_field_eq_val(cond, state)

    def _element(self, cond: ConditionFieldEqualsValueExpression) -> str:
        return any_element_sql(cond.field, self._predicate([cond.value]))

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return self._element(cond)

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return self._element(cond)

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        if is_numeric(cond.field):
            return f"{field_sql(cond.field)} = {cond.value}"
        return self._element(cond)

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return self._element(cond)

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return self._element(cond)

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return self._element(cond)

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        value: SigmaCompareExpression = cond.value
        if isinstance(value.number, SigmaTimestampPart):  # e.g. |hour|gte
            return f"{_part(cond.field, value.number)} {COMPARE_OPS[value.op]} {value.number}"
        if is_numeric(cond.field):
            return f"{field_sql(cond.field)} {COMPARE_OPS[value.op]} {value.number}"
        return self._element(cond)

    def convert_condition_field_eq_val_timestamp_part(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"{_part(cond.field, cond.value)} = {cond.value}"

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        ref: SigmaFieldReference = cond.value
        right = f"lower({text_sql(ref.field)})"
        if ref.starts_with and ref.ends_with:
            test = "contains(lower({v}), " + right + ")"
        elif ref.starts_with:
            test = "starts_with(lower({v}), " + right + ")"
        elif ref.ends_with:
            test = "ends_with(lower({v}), " + right + ")"
        else:
            test = "lower({v}) = " + right
        return any_element_sql(cond.field, lambda v: test.format(v=v))

    def convert_condition_field_eq_val_null(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"{field_sql(cond.field)} IS NULL"

    def convert_condition_field_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return exists_sql(cond.field)

    def convert_condition_field_not_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"NOT {exists_sql(cond.field)}"

    def _per_value(self, cond: ConditionFieldEqualsValueExpression) -> bool:
        """Whether the condition tests each value (or list element) of the field on its own;
        not so for time parts, numbers on integer columns, placeholders, field references."""
        value = cond.value
        if is_numeric(cond.field):
            return False
        if isinstance(value, SigmaString | SigmaRegularExpression):
            return not value.contains_placeholder()
        if isinstance(value, SigmaCompareExpression):  # a time part is not a text value
            return not isinstance(value.number, SigmaTimestampPart)
        if isinstance(value, SigmaTimestampPart):
            return False
        if isinstance(value, SigmaExpansion):  # |windash, |base64offset: any of its values
            return all(
                self._per_value(ConditionFieldEqualsValueExpression(cond.field, v))
                for v in value.values
            )
        return isinstance(value, SigmaNumber | SigmaBool | SigmaCIDRExpression)

    @staticmethod
    def _predicate(values: list[Any]) -> Predicate:
        """One text value tested against any of `values` (networks checked together)."""
        networks = [v for v in values if isinstance(v, SigmaCIDRExpression)]
        tests = [cidr_predicate(networks)] if networks else []
        plain = [v for v in values if _plain(v)]
        if len(plain) > 1:  # one `lower(v) IN (...)` for all of them
            tests.append(equals_any_predicate(plain))
        else:
            plain = []
        texts = [v for v in values if _literal_text(v)]
        if len(texts) > 1:  # one regular expression over a pre-lowered hunt column
            tests.append(any_text_predicate(texts))
        else:
            texts = []
        combined = {id(v) for v in (*plain, *texts)}
        for value in values:
            if id(value) in combined:
                continue
            if isinstance(value, SigmaExpansion):
                tests.append(DuckDBBackend._predicate(list(value.values)))
            elif isinstance(value, SigmaString):
                tests.append(string_predicate(value, cased=isinstance(value, SigmaCasedString)))
            elif isinstance(value, SigmaRegularExpression):
                tests.append(regex_predicate(value))
            elif isinstance(value, SigmaNumber):
                tests.append(number_predicate(value.number))
            elif isinstance(value, SigmaBool):
                literal = sql_literal(str(value.boolean).lower())
                tests.append(lambda v, literal=literal: f"lower({v}) = {literal}")
            elif isinstance(value, SigmaCompareExpression):
                tests.append(compare_predicate(value.op, value.number.number))
        if len(tests) == 1:
            return tests[0]
        return lambda v: "(" + " OR ".join(test(v) for test in tests) + ")"

    # -- keywords: values without a field search the whole event -------------------------------

    def convert_condition_val(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        value = cond.value
        if isinstance(value, SigmaString | SigmaRegularExpression) and value.contains_placeholder():
            return self._expanded(value, ConditionValueExpression, state)
        if isinstance(value, SigmaExpansion):  # |windash, |base64offset on keywords
            expanded = ConditionOR([ConditionValueExpression(v) for v in value.values], cond.source)
            return self.group_expression.format(expr=self.convert_condition_or(expanded, state))
        return super().convert_condition_val(cond, state)

    def convert_condition_val_str(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        value: SigmaString = cond.value
        operator = "LIKE" if isinstance(value, SigmaCasedString) else "ILIKE"
        return f"{DOCUMENT_TEXT} {operator} {sql_literal(_json_like(value))} ESCAPE '\\'"

    def convert_condition_val_num(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        return f"{DOCUMENT_TEXT} LIKE {sql_literal(f'%{cond.value}%')}"

    def convert_condition_val_re(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        return f"regexp_matches({DOCUMENT_TEXT}, {regex_literal(cond.value)})"

    # -- placeholders --------------------------------------------------------------------------

    def _expanded(
        self,
        value: SigmaString | SigmaRegularExpression,
        condition: Callable[[Any], ConditionItem | ConditionFieldEqualsValueExpression],
        state: ConversionState,
    ) -> str:
        """Every agency's values, OR each agency's own values for that agency's events."""
        alternatives = []
        for agency, values in self.placeholders.expand(value):
            if values:
                tests = ConditionOR([condition(v) for v in values])
                sql = self.convert_condition_or(tests, state)
            else:
                sql = "FALSE"
            if agency is not None:
                sql = f"{field_sql(AGENCY_FIELD)} = {sql_literal(agency)} AND ({sql})"
            alternatives.append(f"({sql})")
        return "(" + " OR ".join(alternatives) + ")"

    # -- correlations --------------------------------------------------------------------------

    def _correlation(self, rule: SigmaCorrelationRule) -> list[str]:
        plan = correlation_plan(rule, self._plans)
        self._plans[id(rule)] = plan
        return [correlation_select(plan)]

    def convert_correlation_event_count_rule(self, rule: Any, *_: Any, **__: Any) -> list[str]:
        return self._correlation(rule)

    convert_correlation_value_count_rule = convert_correlation_event_count_rule
    convert_correlation_value_sum_rule = convert_correlation_event_count_rule
    convert_correlation_value_avg_rule = convert_correlation_event_count_rule
    convert_correlation_value_median_rule = convert_correlation_event_count_rule
    convert_correlation_value_percentile_rule = convert_correlation_event_count_rule
    convert_correlation_temporal_rule = convert_correlation_event_count_rule
    convert_correlation_temporal_ordered_rule = convert_correlation_event_count_rule
    convert_correlation_extended_temporal_rule = convert_correlation_event_count_rule
    convert_correlation_extended_temporal_ordered_rule = convert_correlation_event_count_rule

    def finalize_query_default(
        self, rule: SigmaRule | SigmaCorrelationRule, query: str, index: int, state: ConversionState
    ) -> str:
        return query


def _plain(value: Any) -> bool:
    """A case-insensitive string without wildcards: tested by equality."""
    return (
        isinstance(value, SigmaString)
        and not isinstance(value, SigmaCasedString)
        and not value.contains_special()
        and not value.contains_placeholder()
    )


def _literal_text(value: Any) -> bool:
    """A case-insensitive `*text*`, `text*` or `*text` (`soc.rules.values.any_text_predicate`)."""
    return (
        isinstance(value, SigmaString)
        and not isinstance(value, SigmaCasedString)
        and not value.contains_placeholder()
        and value.contains_special()
        and regex_alternative_ok(value)
    )


def _part(field: str, value: SigmaTimestampPart) -> str:
    """The |minute, |hour, ... part of a time field (UTC, the store's session time zone)."""
    return f"date_part('{value.timestamp_part.name.lower()}', {timestamp_sql(field)})"


def _json_like(value: SigmaString) -> str:
    """A keyword as a LIKE pattern over JSON text: its characters as JSON writes them, `*`/`?`
    as `%`/`_`, anywhere in the text."""
    pattern = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            pattern.append("%")
        elif part == SpecialChars.WILDCARD_SINGLE:
            pattern.append("_")
        else:
            text = json.dumps(str(part), ensure_ascii=False)[1:-1]
            pattern.append(text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
    return "%" + "".join(pattern) + "%"
