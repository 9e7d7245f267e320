"""Detection rules: what runs, how it went, and every rule quarantined with its reason.

A broken rule must never disappear silently (DESIGN §3), so this page lists load and compile
problems and rules whose last run failed. Province staff only: rules are not tenant data, but
their hit counts span every agency.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from soc.errors import Forbidden
from ui.context import principal, services

blueprint = Blueprint("rules", __name__, url_prefix="/rules")


@blueprint.route("/")
@login_required
def index() -> ResponseReturnValue:
    caller = principal()
    if caller.agency_scope is not None:
        raise Forbidden("rules are visible to province staff only", where=caller.username)
    platform = services()
    catalog = platform.catalog
    states = {state.rule_id: state for state in platform.cases.rule_states()}
    compiled = sorted(catalog.compiled, key=lambda rule: rule.title.lower()) if catalog else []
    return render_template(
        "rules.html",
        detection_enabled=catalog is not None,
        compiled=compiled,
        problems=catalog.errors if catalog else [],
        states=states,
        failing=[rule for rule in compiled if (s := states.get(rule.id)) and s.last_error],
    )
