"""Detection rules: every rule with its state; switch rules on and off, retry, retro-hunt.

A broken rule must never disappear silently (DESIGN §3), so rules that did not compile are
listed with the others, and a rule whose last run failed shows its error and a retry button.
Province staff only: rules are not tenant data, but their states and hit counts span every
agency. Managers read; analysts and admins change (the service layer checks both).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import login_required

from soc.cases.vocab import SEVERITIES
from soc.errors import NotFound, ValidationError
from soc.rules import Catalog
from ui import forms
from ui.context import principal, services
from ui.i18n import translate as _
from ui.security import safe_next_url
from ui.views import retro
from ui.views.rule_listing import (
    STATUSES,
    count_statuses,
    filter_rows,
    find_row,
    rule_rows,
    yaml_document,
)

blueprint = Blueprint("rules", __name__, url_prefix="/rules")

PAGE_SIZE = 50
RECENT_ALERTS = 20


@blueprint.record_once
def _install(state: BlueprintSetupState) -> None:
    retro.install(state.app)


@blueprint.route("/")
@login_required
def index() -> ResponseReturnValue:
    return _render_index()


def _render_index(error: str | None = None) -> ResponseReturnValue:
    caller = principal()
    platform = services()
    states = {state.rule_id: state for state in platform.cases.rule_states(caller)}
    rows = rule_rows(
        platform.catalog or Catalog(), states, min_level=platform.settings.detection.min_level
    )
    args = request.args
    filters = {
        "q": (args.get("q") or "").strip()[:200],
        "level": args.get("level") if args.get("level") in SEVERITIES else None,
        "status": args.get("status") if args.get("status") in STATUSES else None,
    }
    found = filter_rows(rows, query=filters["q"], level=filters["level"], status=filters["status"])
    page_no = forms.page_number(args)
    return render_template(
        "rules.html",
        detection_enabled=platform.catalog is not None,
        rows=found[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE],
        total=len(found),
        page=page_no,
        page_size=PAGE_SIZE,
        counts=count_statuses(rows),
        statuses=STATUSES,
        filters=filters,
        hunt=retro.default_window(),
        jobs=retro.jobs().recent()[:5],
        error=error,
    ), (400 if error else 200)


@blueprint.route("/<rule_id>")
@login_required
def detail(rule_id: str) -> ResponseReturnValue:
    return _render_detail(rule_id)


def _render_detail(rule_id: str, error: str | None = None) -> ResponseReturnValue:
    caller = principal()
    platform = services()
    state = platform.cases.rule_state(caller, rule_id)  # also the role check
    states = {rule_id: state} if state is not None else {}
    row = find_row(
        rule_rows(
            platform.catalog or Catalog(), states, min_level=platform.settings.detection.min_level
        ),
        rule_id,
    )
    if row is None:
        raise NotFound("no such rule", where=f"rule {rule_id}")
    alerts, alert_total = platform.cases.list_alerts(
        caller, rule_id=rule_id, limit=RECENT_ALERTS, offset=0
    )
    return render_template(
        "rule.html",
        row=row,
        state=state,
        enabled=state.enabled if state else True,
        yaml_text=yaml_document(row.source),
        alerts=alerts,
        alert_total=alert_total,
        history=platform.cases.rule_history(caller, rule_id),
        hunt=retro.default_window(),
        error=error,
    ), (400 if error else 200)


@blueprint.route("/<rule_id>/enabled", methods=["POST"])
@login_required
def switch(rule_id: str) -> ResponseReturnValue:
    caller = principal()
    platform = services()
    back = safe_next_url(request.form.get("next")) or url_for("rules.detail", rule_id=rule_id)
    try:
        enabled = forms.choice(request.form, "enabled", ("1", "0"), label="Enabled")
        if enabled is None:
            raise ValidationError(_("%(field)s is required", field=_("Enabled")))
        reason = forms.text(request.form, "reason", label="Reason", max_length=2000) or ""
        if platform.catalog is None or platform.catalog.get(rule_id) is None:
            raise NotFound("no such compiled rule", where=f"rule {rule_id}")
        platform.cases.set_rule_enabled(caller, rule_id, enabled == "1", reason=reason)
    except ValidationError as exc:
        return _render_detail(rule_id, error=str(exc))
    if enabled == "1":
        flash(_("Rule enabled. Events ingested while it was off were not examined."), "success")
    else:
        flash(_("Rule disabled. Detection stops running it within one pass."), "success")
    return redirect(back)


@blueprint.route("/<rule_id>/retry", methods=["POST"])
@login_required
def retry(rule_id: str) -> ResponseReturnValue:
    services().cases.retry_rule(principal(), rule_id)
    flash(_("The rule runs again on the next detection pass."), "success")
    return redirect(url_for("rules.detail", rule_id=rule_id))


@blueprint.route("/retro", methods=["POST"])
@login_required
def start_retro() -> ResponseReturnValue:
    """Queue a retro-hunt of the chosen rules; errors go back to the page the form was on."""
    rule_ids = [i for i in request.form.getlist("rule_ids") if i]
    try:
        job = retro.submit_form(principal(), rule_ids, request.form)
    except NotFound:
        return _render_index(error=_("No such rule."))
    except ValidationError as exc:
        if len(rule_ids) == 1 and request.form.get("from_detail"):
            return _render_detail(rule_ids[0], error=str(exc))
        return _render_index(error=str(exc))
    return redirect(url_for("rules.retro_job", job_id=job.id))


@blueprint.route("/retro/<job_id>")
@login_required
def retro_job(job_id: str) -> ResponseReturnValue:
    job = retro.visible_job(principal(), job_id)
    response = render_template("rules_retro.html", job=job, titles=_titles(job.rule_ids))
    # Reload while it runs: progress without a script (the CSP forbids inline ones).
    headers = {} if job.finished else {"Refresh": "2"}
    return response, 200, headers


def _titles(rule_ids: tuple[str, ...]) -> dict[str, str]:
    catalog = services().catalog or Catalog()
    return {
        rule_id: (rule.title if (rule := catalog.get(rule_id)) else rule_id) for rule_id in rule_ids
    }
