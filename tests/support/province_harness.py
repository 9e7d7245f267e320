"""The province side of a remote-site test: real stores, the real Flask app, served over HTTPS.

`Province` serves in a thread of the test process (stop and start it to make an outage);
`province_server.py` beside this file serves the same from a separate process, for tests that
kill the server outright. Certificates come from `syslog_harness.Pki` (the `openssl` command).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from syslog_harness import Pki
from werkzeug.serving import BaseWSGIServer, make_server

from soc.cases import CaseService
from soc.config import DetectionSettings, Settings, StorageSettings
from soc.model.agency import Agency
from soc.services import Services
from soc.storage.duckdb_store import DuckDBEventStore
from ui import create_app

SITE_ID = "yte-hq"
AGENCIES = (
    Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",)),
    Agency("so-tc", "Sở Tài chính", ("10.30.0.0/16",)),
)


def province_settings(data_dir: Path) -> Settings:
    return replace(
        Settings(),
        storage=StorageSettings(data_dir=str(data_dir)),
        detection=DetectionSettings(enabled=False),
    )


def prepare_cases(settings: Settings) -> str:
    """Agencies and a site of so-yte in a new case store; returns the site's token."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    cases = CaseService(settings.cases_url)
    cases.migrate()
    for agency in AGENCIES:
        cases.upsert_agency(agency)
    token = cases.sites.create(None, SITE_ID, "Sở Y tế, trụ sở", "so-yte").token
    cases.close()
    return token


@dataclass
class Province:
    services: Services
    site_token: str
    pki: Pki
    port: int = 0
    max_request_bytes: int | None = None  # a smaller limit than the app's, to provoke 413
    _server: BaseWSGIServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @classmethod
    def create(cls, data_dir: Path, pki: Pki) -> Province:
        settings = province_settings(data_dir)
        token = prepare_cases(settings)
        cases = CaseService(settings.cases_url)
        events = DuckDBEventStore(settings.events_path)
        return cls(Services(settings=settings, events=events, cases=cases), token, pki)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Serve (again, on the same port after a `stop`)."""
        app = create_app(self.services)
        if self.max_request_bytes is not None:
            app.config["MAX_CONTENT_LENGTH"] = self.max_request_bytes
        context = (str(self.pki.cert("server")), str(self.pki.key("server")))
        self._server = make_server("127.0.0.1", self.port, app, threaded=True, ssl_context=context)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.stop()
        self.services.close()
