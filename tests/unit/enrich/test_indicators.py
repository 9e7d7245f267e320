"""Feeds and log lines spell observables differently; both sides meet in one normal form."""

from __future__ import annotations

import pytest

from soc.enrich.indicators import normalize, refang


def test_refang_undoes_the_usual_defanging() -> None:
    assert refang(" hxxps://evil[.]example(.)com[:]8443/x ") == "https://evil.example.com:8443/x"


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("ip", "203.0.113.7", ("ip", "203.0.113.7")),
        ("ip", "203.0.113.7/32", ("ip", "203.0.113.7")),
        ("ip", "203.0.113.9/24", ("ip", "203.0.113.0/24")),
        ("ip", "2001:DB8::1", ("ip", "2001:db8::1")),
        ("ip", "198.51.100[.]4", ("ip", "198.51.100.4")),
        ("domain", "Evil.Example.COM.", ("domain", "evil.example.com")),
        ("domain", "bücher.example", ("domain", "xn--bcher-kva.example")),
        ("url", "HXXP://Evil.Example:80/Path?q=1#frag", ("url", "http://evil.example/Path?q=1")),
        ("url", "https://evil.example:8443", ("url", "https://evil.example:8443/")),
        ("md5", "D41D8CD98F00B204E9800998ECF8427E", ("md5", "d41d8cd98f00b204e9800998ecf8427e")),
        ("hash", "a" * 64, ("sha256", "a" * 64)),
        ("hash", "b" * 40, ("sha1", "b" * 40)),
    ],
)
def test_normal_forms(kind: str, raw: str, expected: tuple[str, str]) -> None:
    assert normalize(kind, raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("ip", "300.1.1.1"),
        ("domain", "localhost"),
        ("domain", "bad domain.com"),
        ("url", "/relative/path"),
        ("md5", "a" * 64),
        ("sha256", "xyz"),
        ("hash", "a" * 33),
        ("email", "x@example.com"),
    ],
)
def test_unusable_values_say_why(kind: str, raw: str) -> None:
    with pytest.raises(ValueError) as error:
        normalize(kind, raw)
    assert str(error.value)
