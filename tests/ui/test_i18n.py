"""Every label a person reads exists in Vietnamese, and the switch is kept in the session."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ui
from soc.cases import vocab
from ui.errors import _MESSAGES
from ui.translations.en import VOCABULARY
from ui.translations.vi import MESSAGES

UI_DIR = Path(ui.__file__).parent
_LITERAL = re.compile(r"""\b(?:_|ngettext)\(\s*(["'])(.+?)\1""")  # ngettext: its singular
_FORM_LABEL = re.compile(r"""\blabel=(["'])(.+?)\1""")


def _used_labels() -> set[str]:
    found: set[str] = set()
    for path in [*UI_DIR.rglob("*.html"), *UI_DIR.rglob("*.py")]:
        if "translations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found.update(m.group(2) for m in _LITERAL.finditer(text))
        if path.suffix == ".py":
            found.update(m.group(2) for m in _FORM_LABEL.finditer(text))
    return found | set(_MESSAGES.values())


def test_the_scan_finds_labels() -> None:
    labels = _used_labels()
    assert {
        "Alert queue",
        "Log in",
        "Verdict",
        "Not found, or not visible to your agency.",
    } <= labels


def test_every_label_has_a_vietnamese_translation() -> None:
    missing = sorted(label for label in _used_labels() if label not in MESSAGES)
    assert missing == []


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("severity", vocab.SEVERITIES),
        ("status", vocab.ALERT_STATUSES + vocab.CASE_STATUSES),
        ("verdict", vocab.VERDICTS),
        ("role", vocab.ROLES),
        ("stage", ("load", "compile", "run")),
        ("kind", ("event", "correlation")),
    ],
)
def test_every_stored_code_has_words_in_both_languages(kind: str, codes: tuple[str, ...]) -> None:
    for code in codes:
        assert f"{kind}:{code}" in MESSAGES
        assert f"{kind}:{code}" in VOCABULARY


def test_placeholders_survive_translation() -> None:
    for english, vietnamese in MESSAGES.items():
        assert sorted(re.findall(r"%\(\w+\)\w", english)) == sorted(
            re.findall(r"%\(\w+\)\w", vietnamese)
        ), english


def test_vietnamese_by_default_and_english_on_request(browser) -> None:
    page = browser.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page
    switched = browser.post("/language", {"lang": "en", "next": "/login"})
    assert switched.headers["Location"] == "/login"
    page = browser.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page and "Đăng nhập" not in page
    # The choice survives logging in (the session is renewed at login).
    browser.login("analyst")
    home = browser.get("/").get_data(as_text=True)
    assert "Dashboard" in home and "Analyst" in home
    assert browser.post("/language", {"lang": "xx"}).status_code == 302
    assert '<html lang="en">' in browser.get("/").get_data(as_text=True)
