"""`call_server`: how `soc search`, `soc ingest` and `soc rules retro` reach a running server
(plain HTTP, or HTTPS with the UI's own certificate), and its errors without a traceback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from soc.cli.common import call_server
from soc.config import load_settings
from soc.errors import SocError


@Request.application
def _api(request: Request) -> Response:
    ok = request.headers.get("Authorization") == "Bearer local-token"
    body, status = ('{"events": []}', 200) if ok else ("{}", 401)
    return Response(body, status, mimetype="application/json")


def _self_signed(folder: Path, name: str) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    (data_dir / "api.token").write_text("local-token\n")
    monkeypatch.setenv("SOC_STORAGE__DATA_DIR", str(data_dir))
    monkeypatch.setenv("SOC_UI__HOST", "127.0.0.1")
    return data_dir


@pytest.fixture
def https_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A server with a self-signed certificate for a name that is not 127.0.0.1."""
    cert, key = _self_signed(tmp_path, "soc.tinh.example")
    server = make_server("127.0.0.1", 0, _api, threaded=True, ssl_context=(cert, key))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("SOC_UI__PORT", str(server.server_port))
    monkeypatch.setenv("SOC_UI__TLS_CERT_FILE", cert)
    monkeypatch.setenv("SOC_UI__TLS_KEY_FILE", key)
    yield server.server_port
    server.shutdown()
    thread.join(5)


def test_a_server_on_https_is_asked_over_https_trusting_its_own_certificate(
    data_dir: Path, https_server: int
) -> None:
    assert call_server(load_settings(), "/api/search", query={"q": "x"}) == {"events": []}


def test_a_certificate_other_than_the_servers_is_refused(
    data_dir: Path, https_server: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other, _ = _self_signed(tmp_path, "someone-else")
    monkeypatch.setenv("SOC_UI__TLS_CERT_FILE", other)
    with pytest.raises(SocError, match=r"not reachable.*CERTIFICATE_VERIFY_FAILED"):
        call_server(load_settings(), "/api/search")


def test_a_connection_reset_is_an_error_not_a_traceback(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What plain HTTP to an HTTPS server used to end in: the peer hangs up once connected."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()  # linger 0: a reset

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    monkeypatch.setenv("SOC_UI__PORT", str(listener.getsockname()[1]))
    try:
        with pytest.raises(SocError, match="not reachable"):
            call_server(load_settings(), "/api/search")
    finally:
        thread.join(5)
        listener.close()
