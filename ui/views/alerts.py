"""The triage queue: filter alerts, acknowledge, escalate to a case, close with a verdict."""

from __future__ import annotations

from collections.abc import Collection

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from soc.cases.views import CaseView
from soc.cases.vocab import ALERT_STATUSES, OPEN_CASE_STATUSES, SEVERITIES, VERDICTS
from soc.errors import ValidationError
from soc.model.agency import Principal
from soc.model.event import Event, get_field
from ui import forms
from ui.context import principal, services
from ui.i18n import ngettext
from ui.i18n import translate as _
from ui.security import safe_next_url

blueprint = Blueprint("alerts", __name__, url_prefix="/alerts")

PAGE_SIZE = 50
DEFAULT_STATUS = "new"  # the queue opens on what nobody has looked at yet


@blueprint.route("/")
@login_required
def queue() -> ResponseReturnValue:
    return _render_queue()


def _render_queue(error: str | None = None) -> ResponseReturnValue:
    caller = principal()
    cases = services().cases
    agencies = cases.list_agencies(caller)
    args = request.args
    filters = {
        "agency": _lenient(args.get("agency"), [a.id for a in agencies]),
        "severity": _lenient(args.get("severity"), SEVERITIES),
        "rule": (args.get("rule") or "").strip()[:200] or None,
        "status": _lenient(args.get("status", DEFAULT_STATUS), ALERT_STATUSES),
    }
    page_no = forms.page_number(args)
    alerts, total = cases.list_alerts(
        caller,
        agency_id=filters["agency"],
        severity=filters["severity"],
        rule_id=filters["rule"],
        status=filters["status"],
        limit=PAGE_SIZE,
        offset=(page_no - 1) * PAGE_SIZE,
    )
    return render_template(
        "alerts.html",
        alerts=alerts,
        total=total,
        page=page_no,
        page_size=PAGE_SIZE,
        agencies=agencies,
        facets=cases.alert_facets(caller),
        filters=filters,
        statuses=ALERT_STATUSES,
        verdicts=VERDICTS,
        open_cases=_open_cases(caller),
        error=error,
    ), (400 if error else 200)


@blueprint.route("/<alert_id>")
@login_required
def detail(alert_id: str) -> ResponseReturnValue:
    return _render_detail(alert_id)


def _render_detail(alert_id: str, error: str | None = None) -> ResponseReturnValue:
    caller = principal()
    platform = services()
    alert = platform.cases.get_alert(caller, alert_id)
    return render_template(
        "alert.html",
        alert=alert,
        events=_visible_events(platform.events.get_many(list(alert.event_ids)), caller),
        verdicts=VERDICTS,
        open_cases=_open_cases(caller),
        error=error,
    ), (400 if error else 200)


@blueprint.route("/action", methods=["POST"])
@login_required
def action() -> ResponseReturnValue:
    """One endpoint for the queue's bulk buttons and the alert page's buttons.

    A ValidationError re-renders the page the form came from, with the message, as a 400.
    """
    caller = principal()
    cases = services().cases
    ids = [i for i in request.form.getlist("alert_ids") if i]
    back = safe_next_url(request.form.get("next")) or url_for("alerts.queue")
    try:
        chosen = forms.choice(
            request.form, "action", ("acknowledge", "escalate", "close"), label="Action"
        )
        if not ids:
            raise ValidationError(_("Select at least one alert."))
        if chosen == "acknowledge":
            for alert_id in ids:
                cases.acknowledge_alert(caller, alert_id)
            flash(
                ngettext("%(n)d alert acknowledged.", "%(n)d alerts acknowledged.", len(ids)),
                "success",
            )
        elif chosen == "close":
            verdict = forms.choice(request.form, "verdict", VERDICTS, label="Verdict")
            if verdict is None:
                raise ValidationError(_("%(field)s is required", field=_("Verdict")))
            reason = forms.text(request.form, "reason", label="Reason", max_length=2000) or ""
            for alert_id in ids:
                cases.close_alert(caller, alert_id, verdict=verdict, reason=reason)
            flash(ngettext("%(n)d alert closed.", "%(n)d alerts closed.", len(ids)), "success")
        elif chosen == "escalate":
            case_id = forms.integer(request.form, "case_id", label="Existing case")
            title = forms.text(request.form, "title", label="New case title", max_length=300)
            if case_id is None and title is None:
                raise ValidationError(_("Choose an existing case or give a new case title."))
            case = cases.escalate_alerts(caller, ids, case_id=case_id, title=title)
            escalated = ngettext(
                "%(n)d alert escalated to case #%(id)d.",
                "%(n)d alerts escalated to case #%(id)d.",
                len(ids),
                id=case.id,
            )
            flash(escalated, "success")
            return redirect(url_for("cases.detail", case_id=case.id))
        else:
            raise ValidationError(_("%(field)s is required", field=_("Action")))
    except ValidationError as exc:
        if len(ids) == 1 and back.startswith(url_for("alerts.detail", alert_id=ids[0])):
            return _render_detail(ids[0], error=str(exc))
        return _render_queue(error=str(exc))
    return redirect(back)


def _lenient(value: str | None, allowed: Collection[str]) -> str | None:
    """Filters come from links and bookmarks: an unknown value means "no filter"."""
    return value if value in allowed else None


def _open_cases(caller: Principal) -> list[CaseView]:
    """Cases an analyst may add alerts to; agency admins cannot escalate, so none for them."""
    if not caller.can_triage:
        return []
    cases = services().cases
    found = []
    for status in OPEN_CASE_STATUSES:
        found.extend(cases.list_cases(caller, status=status, limit=200, offset=0)[0])
    return sorted(found, key=lambda case: case.id, reverse=True)


def _visible_events(events: list[Event], caller: Principal) -> list[Event]:
    """`get_many` is unscoped (detection needs it so); the UI re-applies the caller's scope.

    An event between two agencies belongs to the source's agency but lists both in
    `related.organization_ids`; either agency may see it, as it may see the alert.
    """
    scope = caller.agency_scope
    if scope is None:
        return events
    return [event for event in events if not _agencies_of(event).isdisjoint(scope)]


def _agencies_of(event: Event) -> set[str]:
    related = get_field(event, "related.organization_ids")
    owners = set(related) if isinstance(related, list) else set()
    owner = get_field(event, "organization.id")
    if owner:
        owners.add(owner)
    return owners
