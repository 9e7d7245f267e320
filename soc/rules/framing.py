"""The SELECT around a single-event rule's condition, and what every rule statement shares.

Kept apart from the pySigma backend because this is our contract with `soc.detection` (see
docs/CONTRACTS.md), not Sigma: single-event rules return one row per event, correlations
(`soc.rules.correlation_sql`) one row per group and burst. Every statement filters on
`event_ingested` with the named parameters `$after` and `$until`, so a run covers exactly the
window the scheduler asks for.
"""

from __future__ import annotations

from soc.rules.sqlfields import text_sql

ENTITY_FIELDS = ("source.ip", "user.name", "host.name")
"""What a single-event alert is about: the first of these the event has."""

MAX_EVENT_IDS = 500
"""Event ids listed on one correlation alert; the count is always complete."""

IN_WINDOW_SQL = "event_ingested > $after AND event_ingested <= $until"
"""The events this run is about."""

AGENCIES_SQL = (
    "list_distinct(list_concat([organization_id], "
    "TRY_CAST(json_extract(doc, '$.related.organization_ids') AS VARCHAR[])))"
)
"""The event's agency and every other agency it concerns."""


def event_select(where: str) -> str:
    """One row per event of the window that matches `where`."""
    entity = ", ".join(f"nullif({text_sql(f)}, '')" for f in ENTITY_FIELDS)
    return (
        "SELECT event_id, timestamp, organization_id, "
        f"{AGENCIES_SQL} AS organization_ids, coalesce({entity}) AS entity\n"
        f"FROM events\nWHERE {IN_WINDOW_SQL}\n  AND ({where})"
    )
