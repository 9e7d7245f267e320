"""The SELECT statements around a compiled condition: what a rule run returns to detection.

Kept apart from the pySigma backend because this is our contract with `soc.detection` (see
docs/CONTRACTS.md), not Sigma: single-event rules return one row per event, correlations one row
per group and time window. Every statement filters on `event_ingested` with the named
parameters `$after` and `$until`, so a run covers exactly the window the scheduler asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from soc.rules.sqlfields import text_sql

ENTITY_FIELDS = ("source.ip", "user.name", "host.name")
"""What a single-event alert is about: the first of these the event has."""

MAX_EVENT_IDS = 500
"""Event ids listed on one correlation alert; the count is always complete."""

_IN_WINDOW = "event_ingested > $after AND event_ingested <= $until"
_AGENCIES = (
    "list_distinct(list_concat([organization_id], "
    "TRY_CAST(json_extract(doc, '$.related.organization_ids') AS VARCHAR[])))"
)


def event_select(where: str) -> str:
    """One row per event of the window that matches `where`."""
    entity = ", ".join(f"nullif({text_sql(f)}, '')" for f in ENTITY_FIELDS)
    return (
        "SELECT event_id, timestamp, organization_id, "
        f"{_AGENCIES} AS organization_ids, coalesce({entity}) AS entity\n"
        f"FROM events\nWHERE {_IN_WINDOW}\n  AND ({where})"
    )


@dataclass(frozen=True)
class Search:
    """One rule a correlation refers to: its condition and its own names for the shared fields.

    Fields differ per rule when the correlation defines aliases (a source address in one rule is
    a destination in another).
    """

    where: str
    group_fields: Sequence[str]
    value_field: str | None = None


def correlation_select(
    searches: Sequence[Search], *, timespan_seconds: int, measure: str, condition: str
) -> str:
    """One row per group and tumbling window whose `measure` satisfies `condition`.

    A window is reported when at least one of its events was ingested in ($after, $until], but
    it is measured over *all* its events, whenever they arrived: a burst split over two runs is
    still seen whole, and re-reporting the same (group, window) gives the same alert id.

    `measure` is `count(*)` (event_count) or `count(DISTINCT m.v)` (value_count); `condition`
    is the comparison that follows it, e.g. `>= 10`.
    """
    width = f"INTERVAL '{int(timespan_seconds)} seconds'"
    bucket = f"time_bucket({width}, {{ts}}, TIMESTAMP '1970-01-01')"
    n_groups = len(searches[0].group_fields)
    groups = [f"g{i}" for i in range(n_groups)]

    def columns(search: Search) -> list[str]:
        return [f"{text_sql(f)} AS g{i}" for i, f in enumerate(search.group_fields)]

    fresh = "\n  UNION ALL\n  ".join(
        f"SELECT {', '.join([*columns(s), 'timestamp'])} FROM events "
        f"WHERE {_IN_WINDOW} AND timestamp IS NOT NULL AND ({s.where})"
        for s in searches
    )
    matched = "\n    UNION\n    ".join(
        f"SELECT event_id, timestamp, organization_id, {_AGENCIES} AS agencies, "
        f"{', '.join([*columns(s), _value(s)])} FROM events, span "
        f"WHERE timestamp >= span.lo AND timestamp < span.hi AND ({s.where})"
        for s in searches
    )
    not_null = " AND ".join(f"{g} IS NOT NULL" for g in groups) or "TRUE"
    join = " AND ".join(
        [*(f"m.{g} = f.{g}" for g in groups), f"{bucket.format(ts='m.timestamp')} = f.window_start"]
    )
    key = {0: "''", 1: "f.g0"}.get(
        n_groups, f"concat_ws(' | ', {', '.join('f.' + g for g in groups)})"
    )
    return f"""WITH fresh AS (
  SELECT DISTINCT {", ".join([*groups, bucket.format(ts="timestamp") + " AS window_start"])}
  FROM (
  {fresh}
  )
  WHERE {not_null}
),
span AS (SELECT min(window_start) AS lo, max(window_start) + {width} AS hi FROM fresh),
matched AS (
    {matched}
)
SELECT {key} AS group_key, f.window_start,
  list(m.event_id ORDER BY m.timestamp, m.event_id)[1:{MAX_EVENT_IDS}] AS event_ids,
  min(m.timestamp) AS timestamp,
  arg_min(m.organization_id, m.timestamp) AS organization_id,
  list_distinct(flatten(list(m.agencies))) AS organization_ids,
  count(*) AS match_count,
  count(DISTINCT m.v) AS value_count
FROM matched m JOIN fresh f ON {join}
GROUP BY ALL
HAVING {measure} {condition}
ORDER BY timestamp, group_key"""


def _value(search: Search) -> str:
    return f"{text_sql(search.value_field)} AS v" if search.value_field else "NULL AS v"
