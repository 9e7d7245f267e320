"""English words for stored codes (`status:in_progress` -> "In progress").

Ordinary labels need no English catalogue: the English text is the key.
"""

from __future__ import annotations

VOCABULARY: dict[str, str] = {
    "severity:informational": "Informational",
    "severity:low": "Low",
    "severity:medium": "Medium",
    "severity:high": "High",
    "severity:critical": "Critical",
    "status:new": "New",
    "status:acknowledged": "Acknowledged",
    "status:escalated": "Escalated",
    "status:closed": "Closed",
    "status:open": "Open",
    "status:in_progress": "In progress",
    "status:resolved": "Resolved",
    "verdict:true_positive": "True positive",
    "verdict:false_positive": "False positive",
    "role:admin": "Administrator",
    "role:analyst": "Analyst",
    "role:agency_admin": "Agency administrator",
    "role:manager": "Manager",
    "stage:load": "Load",
    "stage:compile": "Compile",
    "stage:run": "Run",
    "kind:event": "Single event",
    "kind:correlation": "Correlation",
    "audit:alert.acknowledged": "acknowledged an alert",
    "audit:alert.closed": "closed an alert",
    "audit:alert.escalated": "escalated an alert",
    "audit:alert.grouped": "grouped an alert into the case",
    "audit:case.opened": "opened the case",
    "audit:case.updated": "updated the case",
    "audit:comment.added": "added a comment",
}
