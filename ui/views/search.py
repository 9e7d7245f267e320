"""Event search: a Lucene query over a time range, limited to the caller's agencies."""

from __future__ import annotations

from collections.abc import Collection

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from soc.errors import QueryError, ValidationError
from soc.model.agency import Principal
from soc.storage.base import SearchPage
from ui import forms
from ui.context import principal, services

blueprint = Blueprint("search", __name__)

PAGE_SIZE = 50


@blueprint.route("/search")
@login_required
def index() -> ResponseReturnValue:
    caller = principal()
    platform = services()
    agencies = platform.cases.list_agencies(caller)
    query = request.args.get("q", "")
    page_no = forms.page_number(request.args)
    result: SearchPage | None = None
    error: str | None = None
    try:
        start = forms.moment(request.args, "from", label="From")
        end = forms.moment(request.args, "to", label="To")
        agency = forms.choice(request.args, "agency", [a.id for a in agencies], label="Agency")
        result = platform.events.search(
            query,
            start=start,
            end=end,
            agency_ids=_agency_filter(caller, agency),
            limit=PAGE_SIZE,
            offset=(page_no - 1) * PAGE_SIZE,
        )
    except (QueryError, ValidationError) as exc:
        error = str(exc)
    return render_template(
        "search.html",
        agencies=agencies,
        query=query,
        result=result,
        error=error,
        page=page_no,
        page_size=PAGE_SIZE,
    ), (400 if error else 200)


def _agency_filter(caller: Principal, chosen: str | None) -> Collection[str] | None:
    """The caller's scope, narrowed to the chosen agency; never wider than the scope."""
    scope = caller.agency_scope
    if chosen is None:
        return scope
    if scope is None or chosen in scope:
        return (chosen,)
    return ()
