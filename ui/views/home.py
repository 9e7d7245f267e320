"""The dashboard: how much there is, and what arrived last, within the caller's agencies."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from ui.context import principal, services

blueprint = Blueprint("home", __name__)

LATEST = 8


@blueprint.route("/")
@login_required
def index() -> ResponseReturnValue:
    caller = principal()
    platform = services()
    # Totals come from scoped queries, not `counts()`: an agency admin must not learn how much
    # the other agencies have.
    latest_alerts, alert_total = platform.cases.list_alerts(caller, limit=LATEST, offset=0)
    _, new_alerts = platform.cases.list_alerts(caller, status="new", limit=1, offset=0)
    latest_cases, case_total = platform.cases.list_cases(caller, limit=LATEST, offset=0)
    _, open_cases = platform.cases.list_cases(caller, status="open", limit=1, offset=0)
    events = platform.events.search("", agency_ids=caller.agency_scope, limit=0).total
    return render_template(
        "home.html",
        counts={
            "events": events,
            "alerts": alert_total,
            "new_alerts": new_alerts,
            "cases": case_total,
            "open_cases": open_cases,
        },
        latest_alerts=latest_alerts,
        latest_cases=latest_cases,
    )
