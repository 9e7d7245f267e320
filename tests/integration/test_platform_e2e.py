"""The whole platform as a user runs it: `soc demo` in a real process, real sockets, real stores.

This is the foundation's promise: from demo traffic to alerts and an auto-opened case, visible
through `/healthz`, searchable from the CLI while the server runs and after it stopped, and a
SIGTERM that flushes and exits cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOC = [sys.executable, "-m", "soc.cli"]


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return json.load(response)
    except OSError:
        return None


def _soc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one `soc` command to completion, its output captured."""
    return subprocess.run(
        [*SOC, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def platform_env(tmp_path: Path, free_port) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SOC_STORAGE__DATA_DIR": str(tmp_path / "var"),
            "SOC_UI__PORT": str(free_port()),
            "SOC_SYSLOG__UDP_PORT": str(syslog_port := free_port()),
            "SOC_SYSLOG__TCP_PORT": str(syslog_port),
            "SOC_NETFLOW__PORT": str(free_port()),
            "SOC_DETECTION__INTERVAL_SECONDS": "2",
            "SOC_DETECTION__RULES_DIRS": str(ROOT / "rules" / "soc"),
            "SOC_DETECTION__PIPELINES_DIRS": str(ROOT / "rules" / "pipelines"),
        }
    )
    return env


def test_demo_reaches_alerts_and_cases_then_stops_cleanly(
    platform_env: dict[str, str], tmp_path: Path
) -> None:
    ui_port = int(platform_env["SOC_UI__PORT"])
    proc = subprocess.Popen(
        [*SOC, "demo"],
        env=platform_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            health = _health(ui_port)
            if health and health["counts"]["alerts"] > 0 and health["counts"]["cases"] > 0:
                break
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(1)
        assert health is not None, "the UI never answered /healthz"
        assert set(health) == {"status", "counts"}
        assert health["status"] == "ok"
        assert health["counts"]["events"] > 0
        assert health["counts"]["alerts"] > 0, health
        assert health["counts"]["cases"] > 0, health

        # While the server holds the store, `soc search` goes through the API.
        running = _soc(
            "search",
            "event.dataset:system.auth",
            "--format",
            "ndjson",
            "--limit",
            "5",
            env=platform_env,
        )
        assert running.returncode == 0, running.stderr
        found = [json.loads(line) for line in running.stdout.splitlines()]
        assert found and all(e["event"]["dataset"] == "system.auth" for e in found)

        # ... and `soc ingest` hands files to the server's ingest API.
        evidence = tmp_path / "evidence.ndjson"
        evidence.write_text(json.dumps({"message": "evidence-7f3a", "event": {"dataset": "x"}}))
        ingested = _soc("ingest", str(evidence), "--no-progress", env=platform_env)
        assert ingested.returncode == 0, ingested.stderr
        assert "1 event stored" in ingested.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert "login: admin / " in output
    assert "stopped" in output

    # After the stop, the CLI reads the embedded store directly and sees what was flushed.
    stopped = _soc("search", "", "--all", "--format", "ndjson", env=platform_env)
    assert stopped.returncode == 0, stopped.stderr
    stored = [json.loads(line) for line in stopped.stdout.splitlines()]
    assert len(stored) >= health["counts"]["events"]
    assert {e["organization"]["id"] for e in stored if "organization" in e}
    assert [e["message"] for e in stored if e.get("message") == "evidence-7f3a"]


def test_logs_sent_while_the_rules_compile_are_stored(platform_env: dict[str, str]) -> None:
    """The listeners are up before the rules compile (the shipped set takes 10-20 s), so a
    restart does not refuse what agencies send meanwhile. The compilation's last word, the
    count of rules that did not compile, must come after the line was taken."""
    env = {
        **platform_env,
        "SOC_DETECTION__RULES_DIRS": ",".join(
            str(ROOT / "rules" / part) for part in ("soc", "sigmahq/rules/cloud")
        ),
    }
    syslog = ("127.0.0.1", int(env["SOC_SYSLOG__TCP_PORT"]))
    proc = subprocess.Popen(
        [*SOC, "serve"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert proc.stdout is not None
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                sender = socket.create_connection(syslog, timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, output
                time.sleep(0.01)
        with sender:
            sender.sendall(b"<13>Dec  6 12:00:00 edge-7 app: taken-while-compiling-91c2\n")
        compiled_before = any(b"rules compiled" in line for line in list(output))
        while not any(b"SOC platform running" in line for line in list(output)):
            assert time.monotonic() < deadline and proc.poll() is None, output
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        reader.join(10)
    assert proc.returncode == 0, b"".join(output).decode()
    assert not compiled_before, "the listener only took the line after the rules compiled"
    assert any(b"rules compiled" in line for line in output)
    found = _soc("search", "taken-while-compiling-91c2", "--format", "ndjson", env=env)
    assert found.returncode == 0, found.stderr
    assert len(found.stdout.splitlines()) == 1


def test_a_taken_ui_port_is_a_clear_error_before_anything_else_starts(
    platform_env: dict[str, str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(platform_env["SOC_UI__PORT"])))
        taken.listen()
        started = _soc("serve", env=platform_env)
    assert started.returncode == 2, started.stdout + started.stderr
    assert f"ui 127.0.0.1:{platform_env['SOC_UI__PORT']}" in started.stderr
    assert "SOC_UI__PORT" in started.stderr
    assert "Traceback" not in started.stderr
    assert "rules compiled" not in started.stderr  # it stopped before compiling


def test_serve_says_what_each_listening_address_takes(
    platform_env: dict[str, str], free_port
) -> None:
    env = {
        **platform_env,
        "SOC_DETECTION__ENABLED": "false",
        "SOC_NETFLOW__TCP_ENABLED": "true",
        "SOC_NETFLOW__TCP_PORT": str(free_port()),
    }
    proc = subprocess.Popen(
        [*SOC, "serve"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    try:
        # The handlers for SIGTERM are in place before this line, the listener lines come after.
        first = proc.stdout.readline().decode()
        assert first.startswith("SOC platform running"), first
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    # Read through the same buffered reader: `communicate` reads the pipe itself and would miss
    # the lines that `readline` already took into the reader's buffer with the first one.
    rest = proc.stdout.read().decode()
    assert proc.returncode == 0
    syslog, netflow = env["SOC_SYSLOG__UDP_PORT"], env["SOC_NETFLOW__PORT"]
    assert [line for line in rest.splitlines() if "listening" in line] == [
        f"  listening for syslog over UDP on 127.0.0.1:{syslog}",
        f"  listening for syslog over TCP on 127.0.0.1:{syslog}",
        f"  listening for NetFlow v5/v9 and IPFIX over UDP on 127.0.0.1:{netflow}",
        f"  listening for IPFIX over TCP on 127.0.0.1:{env['SOC_NETFLOW__TCP_PORT']}",
    ]
