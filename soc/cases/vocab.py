"""The closed sets of values the case store accepts.

Kept in one place because the models' CHECK constraints, the migration and the service's
validation must agree; the UI reads them for its drop-downs.
"""

from __future__ import annotations

from soc.model.agency import ROLES
from soc.model.alert import SEVERITIES

__all__ = [
    "ALERT_STATUSES",
    "CASE_STATUSES",
    "OPEN_CASE_STATUSES",
    "ROLES",
    "SEVERITIES",
    "TLP_LEVELS",
    "TRIAGE_ROLES",
    "VERDICTS",
]

# Sigma levels, lowest first: the index is the rank used to pick a case's severity.
ALERT_STATUSES = ("new", "acknowledged", "escalated", "closed")
VERDICTS = ("true_positive", "false_positive")
CASE_STATUSES = ("open", "in_progress", "resolved", "closed")
# Cases that new alerts of the same rule and entity may still join.
OPEN_CASE_STATUSES = ("open", "in_progress")
TLP_LEVELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
# Roles whose users may be assigned a case (they are the ones who can work it).
TRIAGE_ROLES = ("admin", "analyst")
