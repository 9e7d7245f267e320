"""The province's ingest API over HTTPS in its own process, for tests that kill it.

Usage: python province_server.py DATA_DIR PORT CERT KEY. Prints "ready PORT" once serving.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from province_harness import province_settings
from werkzeug.serving import make_server

from soc.services import build_services
from ui import create_app


def main(data_dir: str, port: str, cert: str, key: str) -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    services = build_services(province_settings(Path(data_dir)))
    server = make_server(
        "127.0.0.1", int(port), create_app(services), threaded=True, ssl_context=(cert, key)
    )
    print(f"ready {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:5])
