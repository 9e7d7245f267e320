"""Remote sites: issue a token per `soc collect` installation, revoke it, see who reports.

A token is shown once, in the response to the action that issued it, never again (only its
hash is stored) and never through a redirect or the session. Province admins manage sites;
everyone else sees the sites of their own agencies, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from soc.cases.sites import IssuedToken, SiteView
from soc.errors import ValidationError
from soc.model.agency import Principal
from ui import forms
from ui.context import principal, services
from ui.i18n import translate as _

blueprint = Blueprint("sites", __name__, url_prefix="/sites")


@dataclass(frozen=True)
class SiteRow:
    site: SiteView
    last_seen: datetime | None
    events: int | None  # since this server started
    address: str
    spool_batches: str  # what the site reported waiting in its spool
    silent: bool


@blueprint.route("/")
@login_required
def index() -> ResponseReturnValue:
    return _render()


@blueprint.route("/", methods=["POST"])
@login_required
def create() -> ResponseReturnValue:
    form = request.form
    try:
        site_id = forms.text(form, "site_id", label="Site ID", required=True, max_length=64)
        name = forms.text(form, "name", label="Site name", required=True, max_length=200)
        agency = forms.text(form, "agency", label="Agency", required=True, max_length=64)
        issued = services().cases.sites.create(principal(), site_id or "", name or "", agency or "")
    except ValidationError as exc:
        return _render(error=str(exc), form=form)
    return _render(issued=issued)


@blueprint.route("/<site_id>/token", methods=["POST"])
@login_required
def rotate(site_id: str) -> ResponseReturnValue:
    return _render(issued=services().cases.sites.rotate_token(principal(), site_id))


@blueprint.route("/<site_id>/revoke", methods=["POST"])
@login_required
def revoke(site_id: str) -> ResponseReturnValue:
    services().cases.sites.revoke(principal(), site_id)
    flash(_("Site %(id)s revoked: its token no longer works.", id=site_id), "success")
    return redirect(url_for("sites.index"))


def _render(
    *,
    issued: IssuedToken | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> ResponseReturnValue:
    caller = principal()
    platform = services()
    return render_template(
        "sites.html",
        rows=_rows(caller),
        agencies=platform.cases.list_agencies(caller),
        issued=issued,
        error=error,
        form=form or {},
        can_manage=caller.role == "admin",
        ingest_url=url_for("api.ingest", _external=True),
    ), (400 if error else 200)


def _rows(caller: Principal) -> list[SiteRow]:
    """Each site with its freshest news: the live registry, else what was persisted."""
    platform = services()
    live = {s.key: s for s in platform.sources.snapshot() if s.kind == "site"}
    stored = {s.key: s for s in platform.cases.sources.visible_to(caller) if s.kind == "site"}
    rows = []
    for site in platform.cases.sites.visible_to(caller):
        now, kept = live.get(site.id), stored.get(site.id)
        seen = [moment for moment in (now and now.last_seen, kept and kept.last_seen) if moment]
        rows.append(
            SiteRow(
                site=site,
                last_seen=max(seen) if seen else None,
                events=now.counters.get("events", 0) if now else None,
                address=now.info.get("address", "") if now else "",
                spool_batches=now.info.get("spool_batches", "") if now else "",
                silent=bool(kept and kept.silent_since),
            )
        )
    return rows
