"""Cases: the list, and one case's page with its alerts, comments and audit history."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from soc.cases.vocab import CASE_STATUSES, SEVERITIES
from soc.errors import ValidationError
from ui import forms
from ui.context import principal, services
from ui.i18n import translate as _

blueprint = Blueprint("cases", __name__, url_prefix="/cases")

PAGE_SIZE = 50


@blueprint.route("/")
@login_required
def index() -> ResponseReturnValue:
    caller = principal()
    cases = services().cases
    agencies = cases.list_agencies(caller)
    status = request.args.get("status", "")
    agency = request.args.get("agency", "")
    filters = {
        "status": status if status in CASE_STATUSES else None,
        "agency": agency if agency in {a.id for a in agencies} else None,
    }
    page_no = forms.page_number(request.args)
    found, total = cases.list_cases(
        caller,
        status=filters["status"],
        agency_id=filters["agency"],
        limit=PAGE_SIZE,
        offset=(page_no - 1) * PAGE_SIZE,
    )
    return render_template(
        "cases.html",
        cases=found,
        total=total,
        page=page_no,
        page_size=PAGE_SIZE,
        agencies=agencies,
        statuses=CASE_STATUSES,
        filters=filters,
    )


@blueprint.route("/<int:case_id>")
@login_required
def detail(case_id: int) -> ResponseReturnValue:
    return _render_case(case_id)


def _render_case(
    case_id: int, error: str | None = None, draft_comment: str = ""
) -> ResponseReturnValue:
    caller = principal()
    cases = services().cases
    case = cases.get_case(caller, case_id)
    return render_template(
        "case.html",
        case=case,
        comments=cases.list_comments(caller, case_id),
        audit=cases.case_audit(caller, case_id),
        assignees=cases.assignable_users(caller) if caller.can_triage else [],
        statuses=CASE_STATUSES,
        error=error,
        draft_comment=draft_comment,
    ), (400 if error else 200)


@blueprint.route("/<int:case_id>/update", methods=["POST"])
@login_required
def update(case_id: int) -> ResponseReturnValue:
    caller = principal()
    form = request.form
    try:
        assignee = forms.integer(form, "assignee_id", label="Assignee")
        services().cases.update_case(
            caller,
            case_id,
            status=forms.choice(form, "status", CASE_STATUSES, label="Status"),
            severity=forms.choice(form, "severity", SEVERITIES, label="Severity"),
            assignee_id=assignee,
            title=forms.text(form, "title", label="Title", required=True, max_length=300),
            description=forms.text(form, "description", label="Description", max_length=20_000)
            or "",
        )
    except ValidationError as exc:
        return _render_case(case_id, error=str(exc))
    flash(_("Case updated."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@blueprint.route("/<int:case_id>/comments", methods=["POST"])
@login_required
def comment(case_id: int) -> ResponseReturnValue:
    body = request.form.get("body", "")
    try:
        text = forms.text(request.form, "body", label="Comment", required=True, max_length=10_000)
        services().cases.add_comment(principal(), case_id, text)
    except ValidationError as exc:
        return _render_case(case_id, error=str(exc), draft_comment=body)
    flash(_("Comment added."), "success")
    return redirect(url_for("cases.detail", case_id=case_id) + "#comments")
