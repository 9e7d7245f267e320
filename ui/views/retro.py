"""Retro-hunts from the rules pages and the token API, and the job registry of this process.

The registry lives in the app (one per process, like the scheduler); every hunt is checked and
audited by the case service before it is queued.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from flask import Flask, current_app

from soc.cases.rules import require_rule_reader
from soc.detection import RetroJob, RetroJobs
from soc.detection.retro import check_window, select_rules
from soc.errors import NotFound, ValidationError
from soc.model.agency import Principal
from soc.model.event import utcnow
from ui import forms
from ui.context import services
from ui.i18n import translate as _
from ui.templating import display_zone

JOBS_KEY = "soc.retro_jobs"
API_REQUESTER = "api"  # who the job page names for hunts asked through the token API
DEFAULT_DAYS = 7
_INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> shows and sends


def install(app: Flask) -> None:
    app.extensions[JOBS_KEY] = RetroJobs()


def jobs() -> RetroJobs:
    return current_app.extensions[JOBS_KEY]


def default_window() -> dict[str, str]:
    """The last week, as the form's initial values: the question analysts usually ask."""
    now = utcnow().astimezone(display_zone())
    return {
        "from": (now - timedelta(days=DEFAULT_DAYS)).strftime(_INPUT_FORMAT),
        "to": now.strftime(_INPUT_FORMAT),
    }


def submit_form(caller: Principal, rule_ids: Sequence[str], form: Mapping[str, str]) -> RetroJob:
    """The rules pages' hunt form: the window in the display zone, to now when left empty."""
    start = forms.moment(form, "from", label="From")
    end = forms.moment(form, "to", label="To") or utcnow()
    if not rule_ids:
        raise ValidationError(_("Select at least one rule."))
    if start is None:
        raise ValidationError(_("%(field)s is required", field=_("From")))
    if start >= end:
        raise ValidationError(_("The end of the window must come after its start."))
    return queue_hunt(caller, rule_ids, start=start, end=end)


def queue_hunt(
    caller: Principal | None, rule_ids: Sequence[str], *, start: datetime, end: datetime
) -> RetroJob:
    """Check the rules, audit the hunt (the service checks the caller's role), queue it.

    `caller=None` is the operator's API token. Unknown rules are refused before the audit row.
    """
    platform = services()
    if platform.catalog is None:
        raise ValidationError(_("Detection is not running in this process."))
    select_rules(platform.catalog, rule_ids)
    check_window(start, end)
    platform.cases.record_retro_hunt(caller, rule_ids, start=start, end=end)
    return jobs().submit(
        platform.events,
        platform.catalog,
        platform.cases,
        rule_ids,
        start=start,
        end=end,
        requested_by=caller.username if caller is not None else API_REQUESTER,
    )


def visible_job(caller: Principal, job_id: str) -> RetroJob:
    require_rule_reader(caller)
    job = jobs().get(job_id)
    if job is None:
        raise NotFound("no such retro-hunt", where=f"job {job_id}")
    return job
