"""Our pySigma backend: Sigma conditions as DuckDB SQL over the `events` table.

Sigma's matching rules, spelled out because SQL's defaults differ:

- strings compare case-insensitively (`lower()` for equality, `ILIKE` for wildcards), and a
  wildcard pattern must match the *whole* value; `|cased` uses `=`/`LIKE` instead;
- `|re` is a search, not a full match (`regexp_matches`), case-sensitive unless `|i`;
- numbers compare as numbers on integer columns and as their text elsewhere (Windows event ids
  are strings in ECS);
- `null` means the field is absent, `''` means present and empty;
- keywords (values without a field) search `message`;
- a missing field never satisfies a condition, so `not` treats SQL NULL as false.

Conversion produces the WHERE condition only; `soc.rules.framing` puts the SELECT around it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sigma.conditions import (
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.correlations import (
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaRuleReference,
)
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.rule import SigmaRule
from sigma.types import (
    CompareOperators,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
)

from soc.rules.framing import Search, correlation_select
from soc.rules.sqlfields import field_sql, is_numeric, sql_literal, text_sql, timestamp_sql

KEYWORD_FIELD = "message"

_COMPARE = {
    CompareOperators.LT: "<",
    CompareOperators.LTE: "<=",
    CompareOperators.GT: ">",
    CompareOperators.GTE: ">=",
}
_CORRELATION_OPS = {
    SigmaCorrelationConditionOperator.LT: "<",
    SigmaCorrelationConditionOperator.LTE: "<=",
    SigmaCorrelationConditionOperator.GT: ">",
    SigmaCorrelationConditionOperator.GTE: ">=",
    SigmaCorrelationConditionOperator.EQ: "=",
    SigmaCorrelationConditionOperator.NEQ: "<>",
}


def _like(value: SigmaString) -> str:
    """A LIKE pattern literal: Sigma wildcards become % and _, literal ones are escaped."""
    return sql_literal(value.convert("\\", "%", "_", "\\"))


def _text(value: SigmaString) -> str:
    """A string without wildcards as a literal (`str()` would re-escape a literal `*`)."""
    return sql_literal(value.convert(None, None, None))


def _regex(value: SigmaRegularExpression) -> str:
    flags = "".join(sorted(SigmaRegularExpression.sigma_to_re_flag[f] for f in value.flags))
    return sql_literal((f"(?{flags})" if flags else "") + str(value.regexp))


def _part(field: str, value: SigmaTimestampPart) -> str:
    """The |minute, |hour, ... part of a time field (UTC, the store's session time zone)."""
    return f"date_part('{value.timestamp_part.name.lower()}', {timestamp_sql(field)})"


def _ipv4_number(expr: str) -> str:
    """An IPv4 address text as its 32-bit number (NULL for anything else)."""
    octets = " + ".join(
        f"CAST(split_part({expr}, '.', {i}) AS BIGINT) * {256 ** (4 - i)}" for i in range(1, 5)
    )
    return (
        f"CASE WHEN regexp_full_match({expr}, '(\\d{{1,3}}\\.){{3}}\\d{{1,3}}') THEN {octets} END"
    )


class DuckDBBackend(TextQueryBackend):
    """Sigma rules to DuckDB conditions over `events`; correlations to whole SELECTs."""

    name: ClassVar[str] = "SOC DuckDB backend"
    formats: ClassVar[dict[str, str]] = {"default": "DuckDB SQL over the events table"}
    correlation_methods: ClassVar[dict[str, str]] = {
        "default": "tumbling windows over @timestamp, reported by ingest time",
    }

    group_expression: ClassVar[str] = "({expr})"
    or_token: ClassVar[str] = "OR"
    and_token: ClassVar[str] = "AND"
    not_token: ClassVar[str] = "NOT"
    eq_token: ClassVar[str] = " = "
    field_null_expression: ClassVar[str] = "{field} IS NULL"
    field_exists_expression: ClassVar[str] = "{field} IS NOT NULL"
    field_not_exists_expression: ClassVar[str] = "{field} IS NULL"

    def escape_and_quote_field(self, field_name: str) -> str:
        return field_sql(field_name)

    # -- boolean structure ---------------------------------------------------------------------

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> str:
        # SQL NULL (field absent) must count as "did not match", so NOT of it is true.
        return f"NOT coalesce({self.convert_condition(cond.args[0], state)}, FALSE)"

    # -- field = value -------------------------------------------------------------------------

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        value = cond.value
        target = text_sql(cond.field)
        if value.contains_special():
            return f"{target} ILIKE {_like(value)} ESCAPE '\\'"
        return f"lower({target}) = lower({_text(value)})"

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        value = cond.value
        target = text_sql(cond.field)
        if value.contains_special():
            return f"{target} LIKE {_like(value)} ESCAPE '\\'"
        return f"{target} = {_text(value)}"

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        if is_numeric(cond.field):
            return f"{field_sql(cond.field)} = {cond.value}"
        return f"{text_sql(cond.field)} = {sql_literal(str(cond.value))}"

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"lower({text_sql(cond.field)}) = '{str(cond.value.boolean).lower()}'"

    def convert_condition_field_eq_val_timestamp_part(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"{_part(cond.field, cond.value)} = {cond.value}"

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        value: SigmaCompareExpression = cond.value
        if isinstance(value.number, SigmaTimestampPart):  # e.g. |hour|gte
            target = _part(cond.field, value.number)
        elif is_numeric(cond.field):
            target = field_sql(cond.field)
        else:
            target = f"TRY_CAST({text_sql(cond.field)} AS DOUBLE)"
        return f"{target} {_COMPARE[value.op]} {value.number}"

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"regexp_matches({text_sql(cond.field)}, {_regex(cond.value)})"

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        cidr: SigmaCIDRExpression = cond.value
        network = cidr.network
        if network.version == 4:
            low, high = int(network.network_address), int(network.broadcast_address)
            return f"{_ipv4_number(text_sql(cond.field))} BETWEEN {low} AND {high}"
        # IPv6: prefixes as anchored wildcard patterns (pySigma expands the network for us).
        expanded = ConditionOR(
            [
                ConditionFieldEqualsValueExpression(cond.field, SigmaString(p))
                for p in cidr.expand()
            ],
            cond.source,
        )
        return self.group_expression.format(expr=self.convert_condition_or(expanded, state))

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        ref: SigmaFieldReference = cond.value
        left, right = f"lower({text_sql(cond.field)})", f"lower({text_sql(ref.field)})"
        if ref.starts_with and ref.ends_with:
            return f"contains({left}, {right})"
        if ref.starts_with:
            return f"starts_with({left}, {right})"
        if ref.ends_with:
            return f"ends_with({left}, {right})"
        return f"{left} = {right}"

    # -- keywords: values without a field search the message ----------------------------------

    def convert_condition_val(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        if isinstance(cond.value, SigmaExpansion):  # |windash, |base64offset on keywords
            expanded = ConditionOR(
                [ConditionValueExpression(v) for v in cond.value.values], cond.source
            )
            return self.group_expression.format(expr=self.convert_condition_or(expanded, state))
        return super().convert_condition_val(cond, state)

    def convert_condition_val_str(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        value: SigmaString = cond.value
        operator = "LIKE" if isinstance(value, SigmaCasedString) else "ILIKE"
        pattern = _like(value)[1:-1]
        return f"{KEYWORD_FIELD} {operator} '%{pattern}%' ESCAPE '\\'"

    def convert_condition_val_num(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        return f"{KEYWORD_FIELD} LIKE '%{cond.value}%'"

    def convert_condition_val_re(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        return f"regexp_matches({KEYWORD_FIELD}, {_regex(cond.value)})"

    # -- correlations --------------------------------------------------------------------------

    def convert_correlation_event_count_rule(
        self, rule: SigmaCorrelationRule, output_format: str | None = None, method: str = "default"
    ) -> list[str]:
        return [self._correlation(rule, "count(*)", value_field=None)]

    def convert_correlation_value_count_rule(
        self, rule: SigmaCorrelationRule, output_format: str | None = None, method: str = "default"
    ) -> list[str]:
        field = rule.condition.fieldref
        if not isinstance(field, str):
            raise SigmaFeatureNotSupportedByBackendError(
                "value_count over several fields is not supported", source=rule.source
            )
        return [self._correlation(rule, "count(DISTINCT m.v)", value_field=field)]

    def _correlation(
        self, rule: SigmaCorrelationRule, measure: str, *, value_field: str | None
    ) -> str:
        searches = [
            Search(
                where=self._referenced_condition(ref),
                group_fields=[self._aliased(rule, ref, f) for f in rule.group_by or []],
                value_field=value_field,
            )
            for ref in rule.referenced_rules
        ]
        condition = f"{_CORRELATION_OPS[rule.condition.op]} {rule.condition.count}"
        return correlation_select(
            searches, timespan_seconds=rule.timespan.seconds, measure=measure, condition=condition
        )

    @staticmethod
    def _referenced_condition(ref: SigmaRuleReference) -> str:
        if not isinstance(ref.rule, SigmaRule):
            raise SigmaFeatureNotSupportedByBackendError(
                f"correlation of correlation ({ref.reference}) is not supported",
                source=ref.rule.source,
            )
        queries = ref.rule.get_conversion_result()
        return " OR ".join(f"({q})" for q in queries) if len(queries) > 1 else queries[0]

    @staticmethod
    def _aliased(rule: SigmaCorrelationRule, ref: SigmaRuleReference, field: str) -> str:
        alias = rule.aliases.aliases.get(field)
        if alias is None:
            return field
        for alias_ref, mapped in alias.mapping.items():
            if alias_ref.reference in (ref.reference, str(ref.rule.id), ref.rule.name):
                return mapped
        raise SigmaFeatureNotSupportedByBackendError(
            f"alias {field!r} has no field for rule {ref.reference}", source=rule.source
        )

    def finalize_query_default(
        self, rule: SigmaRule | SigmaCorrelationRule, query: str, index: int, state: ConversionState
    ) -> str:
        return query
