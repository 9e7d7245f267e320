"""Sigma correlations as one DuckDB statement: sliding windows over `@timestamp`.

Every event of the referenced rules ends a window: the timespan before it, both ends included,
within its group. A window qualifies when its measure meets the condition (events, distinct
values, sum, average, median or percentile of a field, distinct rules, or the rules in order).
Because every event ends a window, a burst straddling any clock boundary is seen whole.

Which windows a run reports: those holding at least one event ingested in ($after, $until].
The statement first finds those events, then reads every referenced event within the timespan
chain around them, whenever it arrived, so a burst split over two runs is still measured whole.

One alert per burst, the same on every re-run: qualifying windows are keyed by their group and
the timespan-wide bucket (aligned on the epoch) that holds their first event. The windows of one
burst share the first event, so they share the key; activity that goes on for longer than the
timespan yields one alert per timespan. `window_start` is that bucket and, with the group, the
alert id (`soc.detection.alerts`). A late event that moves a burst's first event into another
bucket can add a second alert; it never removes one.

A correlation can refer to a correlation (chaining): the inner one's qualifying windows, each
stamped with the time of the event that completed it, are the outer one's events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from soc.rules.framing import AGENCIES_SQL, IN_WINDOW_SQL, MAX_EVENT_IDS
from soc.rules.sqlfields import sql_literal

Kind = Literal[
    "event_count",
    "value_count",
    "value_sum",
    "value_avg",
    "value_median",
    "value_percentile",
    "temporal",
    "temporal_ordered",
]
VALUE_KINDS = frozenset(
    {"value_count", "value_sum", "value_avg", "value_median", "value_percentile"}
)
TEMPORAL_KINDS = frozenset({"temporal", "temporal_ordered"})

_MEASURES = {
    "event_count": "count(*)",
    "value_sum": "sum({v})",
    "value_avg": "avg({v})",
    "value_median": "median({v})",
    "value_percentile": "quantile_cont({v}, {fraction})",
    "temporal": "count(DISTINCT r)",
    "temporal_ordered": "count(DISTINCT r)",
}


@dataclass(frozen=True)
class Source:
    """One rule a correlation refers to.

    A detection rule gives its SQL condition and SQL for the group (and value) fields under its
    own names (aliases differ per rule); a correlation gives itself and, per group field, the
    index of its own group field that holds the same value.
    """

    rule_id: str
    where: str | None = None
    group_sql: tuple[str, ...] = ()
    value_sql: tuple[str, ...] = ()
    inner: Correlation | None = None
    inner_groups: tuple[int, ...] = ()


@dataclass(frozen=True)
class Correlation:
    """What a correlation measures and the condition its windows must meet.

    `op` and `threshold` compare the measure (each field's, for a value_count over several
    fields); `expression` instead is an extended temporal condition in SQL over the flags
    `has<i>` (rule i seen in the window). temporal_ordered needs neither: all rules, in order.
    """

    kind: Kind
    sources: tuple[Source, ...]
    group_count: int
    timespan_seconds: int
    op: str = ">="
    threshold: float = 1
    expression: str | None = None
    percentile: float | None = None

    @property
    def reach_seconds(self) -> int:
        """How far around a fresh event its windows (and those of inner correlations) reach."""
        inner = [s.inner.reach_seconds for s in self.sources if s.inner is not None]
        return self.timespan_seconds + max(inner, default=0)

    def leaf_conditions(self) -> list[str]:
        conditions = []
        for source in self.sources:
            if source.inner is not None:
                conditions.extend(source.inner.leaf_conditions())
            elif source.where is not None:
                conditions.append(source.where)
        return conditions


_NO_SPAN = ("TIMESTAMP '9999-12-31 00:00:00'", "TIMESTAMP '0001-01-01 00:00:00'")
"""The span of a run whose window holds no event of the rules: an empty range rather than NULL.
DuckDB prunes the table scan by a span it knows (every row group outside it is skipped) but
not by a NULL one, where it tests every stored row against the rules' conditions before the
span drops them all. That is most runs, and with conditions that read the document (a Windows
channel) it cost 63.7-66.5 ms over 400,000 stored flows against 8.3 ms with this empty range,
growing with the store (bench/README.md)."""


def correlation_select(correlation: Correlation) -> str:
    """The statement: one row per group and burst (see the module docstring)."""
    leaves = " OR ".join(f"({c})" for c in dict.fromkeys(correlation.leaf_conditions()))
    reach = _interval(correlation.reach_seconds)
    ctes = [
        "fresh AS (\n  SELECT min(timestamp) AS lo, max(timestamp) AS hi FROM events\n"
        f"  WHERE {IN_WINDOW_SQL} AND timestamp IS NOT NULL AND ({leaves})\n)",
        f"span AS (SELECT coalesce(lo - {reach}, {_NO_SPAN[0]}) AS lo, "
        f"coalesce(hi + {reach}, {_NO_SPAN[1]}) AS hi FROM fresh)",
    ]
    _level(correlation, "c0", ctes)
    groups = [f"g{i}" for i in range(correlation.group_count)]
    on = " AND ".join([*(f"h.{g} = k.{g}" for g in groups), "h.ts BETWEEN k.lo AND k.hi"])
    key = {0: "''", 1: "k.g0"}.get(
        len(groups), "concat_ws(' | ', " + ", ".join(f"k.{g}" for g in groups) + ")"
    )
    values = "count(DISTINCT h.v0)" if correlation.kind == "value_count" else "NULL"
    ctes.append(
        "keys AS (\n"
        f"  SELECT {', '.join([*groups, 'window_start'])}, min(first_ts) AS lo, max(ts) AS hi,\n"
        "    arg_min(measure, (ts, event_id)) AS measure\n"
        "  FROM c0_match GROUP BY ALL\n)"
    )
    return (
        "WITH "
        + ",\n".join(ctes)
        + f"""
SELECT {key} AS group_key, k.window_start,
  list_transform([list(h.event_id ORDER BY h.ts, h.event_id)], lambda _l:
    list_filter(_l, lambda _x, _i: _i = 1 OR _l[_i - 1] <> _x))[1][1:{MAX_EVENT_IDS}] AS event_ids,
  min(h.ts) AS timestamp,
  arg_min(h.organization_id, (h.ts, h.event_id)) AS organization_id,
  list_distinct(flatten(list(h.agencies))) AS organization_ids,
  count(DISTINCT h.event_id) AS match_count,
  {values} AS value_count,
  CAST(k.measure AS DOUBLE) AS measure,
  list_sort(list_distinct(list(h.rule_id))) AS rule_ids
FROM keys k JOIN c0_hits h ON {on}
GROUP BY ALL
ORDER BY timestamp, group_key"""
    )


def _level(correlation: Correlation, prefix: str, ctes: list[str]) -> None:
    """Append the CTEs of one correlation: `<prefix>_hits`, its windows, `<prefix>_match`.

    Only the outermost correlation reports just the windows this run touched; an inner one
    passes all its qualifying windows on, `touched` becoming the outer event's `fresh`.
    """
    branches = []
    for index, source in enumerate(correlation.sources):
        if source.inner is not None:
            inner = f"{prefix}{index}"
            _level(source.inner, inner, ctes)
            groups = [f"g{i} AS g{n}" for n, i in enumerate(source.inner_groups)]
            columns = ["event_id", "ts", "touched AS fresh", "organization_id", "agencies"]
            values = [f"NULL AS v{n}" for n in range(_value_count(correlation))]
            branches.append(
                f"SELECT {', '.join([*columns, *groups, *values])}, {index} AS r, "
                f"{sql_literal(source.rule_id)} AS rule_id FROM {inner}_match"
            )
            continue
        columns = [
            "event_id",
            "timestamp AS ts",
            f"({IN_WINDOW_SQL}) AS fresh",
            "organization_id",
            f"{AGENCIES_SQL} AS agencies",
            *(f"{sql} AS g{n}" for n, sql in enumerate(source.group_sql)),
            *(f"{sql} AS v{n}" for n, sql in enumerate(source.value_sql)),
        ]
        branches.append(
            f"SELECT {', '.join(columns)}, {index} AS r, {sql_literal(source.rule_id)} AS rule_id "
            f"FROM events, span WHERE timestamp BETWEEN span.lo AND span.hi AND ({source.where})"
        )
    groups = [f"g{i}" for i in range(correlation.group_count)]
    rows = "\n  UNION ALL\n  ".join(branches)
    if correlation.kind not in TEMPORAL_KINDS and len(branches) > 1:
        # Temporal kinds need a row per (event, rule); the others count an event once, even
        # when it matches several of the rules (listed under the first one).
        rows = (
            f"SELECT * FROM (\n  {rows}\n  ) QUALIFY row_number() OVER "
            f"(PARTITION BY {', '.join(['event_id', *groups])} ORDER BY r) = 1"
        )
    ctes.append(f"{prefix}_hits AS (\n  {rows}\n)")
    partition = f"PARTITION BY {', '.join(groups)} " if groups else ""
    window = (
        f"({partition}ORDER BY ts RANGE BETWEEN {_interval(correlation.timespan_seconds)} "
        "PRECEDING AND CURRENT ROW)"
    )
    present = " AND ".join(f"{g} IS NOT NULL" for g in groups) or "TRUE"
    source_rows = f"(SELECT * FROM {prefix}_hits WHERE {present})"
    if correlation.kind == "temporal_ordered":
        source_rows, first, qualifies = _ordered(correlation, prefix, source_rows, window, ctes)
    elif correlation.expression is not None:
        first, qualifies = "min(ts) OVER w", correlation.expression
    else:
        first = "min(ts) OVER w"
        qualifies = " AND ".join(
            f"m{n} {correlation.op} {correlation.threshold}"
            for n in range(_measure_count(correlation))
        )
    flags = [
        f"bool_or(r = {i}) OVER w AS has{i}"
        for i in range(len(correlation.sources))
        if correlation.kind == "temporal"
    ]
    count = _measure_count(correlation)
    measures = [f"{_measure(correlation, n)} OVER w AS m{n}" for n in range(count)]
    measure = "m0" if count == 1 else f"least({', '.join(f'm{n}' for n in range(count))})"
    ctes.append(
        f"{prefix}_win AS (\n  SELECT *, {', '.join([*measures, *flags])},\n"
        f"    {first} AS first_ts, bool_or(fresh) OVER w AS touched\n"
        f"  FROM {source_rows}\n  WINDOW w AS {window}\n)"
    )
    ctes.append(
        f"{prefix}_match AS (\n  SELECT *, {measure} AS measure, "
        f"time_bucket({_interval(correlation.timespan_seconds)}, first_ts, "
        "TIMESTAMP '1970-01-01') AS window_start\n"
        f"  FROM {prefix}_win WHERE {'touched AND ' if prefix == 'c0' else ''}({qualifies})\n)"
    )


def _ordered(
    correlation: Correlation, prefix: str, rows: str, window: str, ctes: list[str]
) -> tuple[str, str, str]:
    """Latest start of an in-order chain of the rules, one window pass per rule.

    `d<k>` on a row is the latest time a chain rule 0 .. rule k can start, with each event no
    later than the next and the last no later than the row: picking the latest event of each
    rule in turn is optimal, so a window pass per rule finds it. A row of the last rule
    completes a chain when that start is within the timespan before it.
    """
    previous = rows
    for k in range(len(correlation.sources)):
        start = "ts" if k == 0 else f"d{k - 1}"
        name = f"{prefix}_o{k}"
        ctes.append(
            f"{name} AS (\n  SELECT *, max(CASE WHEN r = {k} THEN {start} END) OVER w AS d{k}\n"
            f"  FROM {previous}\n  WINDOW w AS {window}\n)"
        )
        previous = name
    last = len(correlation.sources) - 1
    span = _interval(correlation.timespan_seconds)
    return previous, f"d{last}", f"r = {last} AND d{last} >= ts - {span}"


def _measure(correlation: Correlation, n: int) -> str:
    if correlation.kind == "value_count":
        return f"count(DISTINCT v{n})"
    fraction = (correlation.percentile or 0) / 100
    return _MEASURES[correlation.kind].format(v=f"v{n}", fraction=fraction)


def _measure_count(correlation: Correlation) -> int:
    return max(1, _value_count(correlation)) if correlation.kind == "value_count" else 1


def _value_count(correlation: Correlation) -> int:
    if correlation.kind not in VALUE_KINDS:
        return 0
    return max((len(s.value_sql) for s in correlation.sources), default=0)


def _interval(seconds: int) -> str:
    return f"INTERVAL '{int(seconds)} seconds'"
