"""The application factory: wires settings, security and blueprints around the services.

Everything is built here, per call, so tests and `soc serve` each get their own app over
their own stores and nothing happens at import time.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, session
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from soc.services import Services
from ui import errors, templating
from ui.context import SERVICES_KEY, SESSION_EPOCH_KEY, THROTTLE_KEY, SessionUser
from ui.security import LoginThrottle, add_security_headers, load_api_token, load_secret_key
from ui.views import (
    account,
    alerts,
    api,
    auth,
    cases,
    health,
    home,
    language,
    rules,
    rules_api,
    search,
    sites,
    sources,
    users,
)


def create_app(services: Services) -> Flask:
    """Build the web UI and JSON API over `services` (the caller owns and closes them)."""
    settings = services.settings
    zone = templating.load_zone(settings.ui.timezone)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=load_secret_key(settings.ui.secret_key, settings.data_dir),
        SESSION_COOKIE_NAME="soc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.ui.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.ui.session_lifetime_minutes),
        MAX_CONTENT_LENGTH=api.MAX_INGEST_BYTES,  # nothing else comes close
        # CSRF tokens live as long as the session instead of a fixed hour, so a long triage
        # shift does not lose a half-written comment to an expired token.
        WTF_CSRF_TIME_LIMIT=None,
        SOC_API_TOKEN=load_api_token(settings.data_dir),
    )
    app.extensions[SERVICES_KEY] = services
    app.extensions[THROTTLE_KEY] = LoginThrottle()

    csrf = CSRFProtect(app)
    login_manager = LoginManager(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = ""

    @login_manager.user_loader
    def load_user(user_id: str) -> SessionUser | None:
        try:
            epoch = int(session.get(SESSION_EPOCH_KEY, 0))
            found = services.cases.session_principal(int(user_id), epoch)
        except (TypeError, ValueError):
            return None
        return SessionUser(found) if found else None

    for blueprint in (
        auth.blueprint,
        home.blueprint,
        alerts.blueprint,
        cases.blueprint,
        search.blueprint,
        rules.blueprint,
        sites.blueprint,
        sources.blueprint,
        users.blueprint,
        account.blueprint,
        language.blueprint,
        health.blueprint,
        api.blueprint,
        rules_api.blueprint,
    ):
        app.register_blueprint(blueprint)
    csrf.exempt(api.blueprint)  # bearer-token API: no cookies, so no cross-site forgery
    csrf.exempt(rules_api.blueprint)

    templating.install(app, zone)
    errors.install(app)
    app.after_request(add_security_headers)
    return app
