"""The pure pieces of web hardening: redirect targets, the login throttle, key files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ui.security import LoginThrottle, load_api_token, load_secret_key, safe_next_url


@pytest.mark.parametrize(
    "target", ["/", "/cases/3", "/search?q=a%20b&from=2026-01-01", "/alerts/?status="]
)
def test_local_paths_are_kept(target: str) -> None:
    assert safe_next_url(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "cases/3",
    ],
)
def test_anything_else_is_refused(target: str | None) -> None:
    assert safe_next_url(target) is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_blocks_after_the_limit_and_forgets_after_the_window() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=3, window_seconds=60, clock=clock)
    for _ in range(3):
        assert not throttle.blocked("10.0.0.1", "analyst")
        throttle.failed("10.0.0.1", "analyst")
    assert throttle.blocked("10.0.0.1", "analyst")
    assert throttle.blocked("10.0.0.1", " Analyst ")  # same account, however typed
    assert not throttle.blocked("10.0.0.2", "analyst")
    assert not throttle.blocked("10.0.0.1", "manager")
    clock.now += 61
    assert not throttle.blocked("10.0.0.1", "analyst")


def test_success_resets_the_count() -> None:
    throttle = LoginThrottle(max_failures=2, clock=FakeClock())
    throttle.failed("a", "u")
    throttle.succeeded("a", "u")
    throttle.failed("a", "u")
    assert not throttle.blocked("a", "u")


def test_configured_secret_key_wins_and_writes_no_file(tmp_path: Path) -> None:
    assert load_secret_key("configured-key", tmp_path) == "configured-key"
    assert not (tmp_path / "secret_key").exists()


def test_generated_secret_key_is_private_and_stable(tmp_path: Path) -> None:
    first = load_secret_key("", tmp_path / "var")
    path = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key("", tmp_path / "var") == first
    assert len(first) == 64


def test_api_token_file(tmp_path: Path) -> None:
    assert load_api_token(tmp_path) is None
    (tmp_path / "api.token").write_text("  \n")
    assert load_api_token(tmp_path) is None
    (tmp_path / "api.token").write_text("s3cret\n")
    assert load_api_token(tmp_path) == "s3cret"
