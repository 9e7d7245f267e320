"""Liveness for load balancers and `soc status`: no login, only counts, nothing else."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ui.context import services

blueprint = Blueprint("health", __name__)


@blueprint.route("/healthz")
def healthz() -> ResponseReturnValue:
    platform = services()
    counts = platform.cases.counts()
    return jsonify(
        {
            "status": "ok",
            "counts": {
                "events": platform.events.count(),
                "alerts": counts["alerts"],
                "cases": counts["cases"],
            },
        }
    )
