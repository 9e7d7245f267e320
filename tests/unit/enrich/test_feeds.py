"""CSV, STIX 2.1 and MISP feed files become indicators; unusable entries are reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from soc.enrich.feeds import detect_format, read_feed
from soc.errors import ValidationError

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _keys(parsed) -> set[str]:
    return {i.key for i in parsed.indicators}


def test_csv_with_header_comments_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "cert.csv"
    path.write_text(
        "type,value,description,confidence\n"
        "# distributed by the national CERT\n"
        "ip-dst,203.0.113.66,C2 server,high\n"
        "domain,EVIL.example.,phishing,40\n"
        "url,hxxp://evil[.]example/login,,\n"
        "sha256," + SHA256.upper() + "\n"
        "cidr,198.51.100.0/24,bulletproof hosting\n"
        "\n"
        "mutex,Global\\xyz\n"
        "ip,not-an-ip\n"
        "domain\n"
        "md5,abc,,200\n",
        encoding="utf-8",
    )
    parsed = read_feed(path, name="cert")
    assert parsed.format == "csv"
    assert _keys(parsed) == {
        "ip:203.0.113.66",
        "domain:evil.example",
        "url:http://evil.example/login",
        f"sha256:{SHA256}",
        "ip:198.51.100.0/24",
    }
    by_key = {i.key: i for i in parsed.indicators}
    assert by_key["ip:203.0.113.66"].confidence == 85
    assert by_key["ip:203.0.113.66"].description == "C2 server"
    assert by_key["domain:evil.example"].confidence == 40
    assert all(i.feed == "cert" for i in parsed.indicators)
    assert [p.where for p in parsed.problems] == ["line 9", "line 10", "line 11", "line 12"]
    assert "unknown indicator type 'mutex'" in parsed.problems[0].reason
    assert parsed.skipped == 4


def _bundle() -> dict:
    identity = "identity--8ce3f695-d5a4-4dc8-9e93-a65af453a31a"
    return {
        "type": "bundle",
        "id": "bundle--1",
        "objects": [
            {"type": "identity", "id": identity, "name": "VNCERT", "spec_version": "2.1"},
            {
                "type": "indicator",
                "id": "indicator--a",
                "spec_version": "2.1",
                "created_by_ref": identity,
                "name": "Emotet C2",
                "pattern": "[ipv4-addr:value = '203.0.113.5'] "
                "OR [domain-name:value = 'c2.example']",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
                "valid_until": "2026-12-31T00:00:00Z",
                "confidence": 80,
            },
            {
                "type": "indicator",
                "id": "indicator--b",
                "pattern": f"[file:hashes.'SHA-256' = '{SHA256}']",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
                "description": "dropper",
            },
            {
                "type": "indicator",
                "id": "indicator--c",
                "pattern": "[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
            },
            {
                "type": "indicator",
                "id": "indicator--and",
                "pattern": "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' "
                "AND file:name = 'a.exe']",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
            },
            {
                "type": "indicator",
                "id": "indicator--seq",
                "pattern": "[ipv4-addr:value = '192.0.2.9'] "
                "FOLLOWEDBY [ipv4-addr:value = '192.0.2.8']",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
            },
            {
                "type": "indicator",
                "id": "indicator--sigma",
                "pattern": "title: x",
                "pattern_type": "sigma",
                "valid_from": "2026-01-01T00:00:00Z",
            },
            {
                "type": "indicator",
                "id": "indicator--revoked",
                "revoked": True,
                "pattern": "[ipv4-addr:value = '192.0.2.77']",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
            },
            {
                "type": "indicator",
                "id": "indicator--broken",
                "pattern": "[ipv4-addr:value = ",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
            },
            {"type": "malware", "id": "malware--1", "name": "Emotet", "is_family": True},
        ],
    }


def test_stix_bundle(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(_bundle()), encoding="utf-8")
    assert detect_format(path) == "stix"
    parsed = read_feed(path, name="vncert")
    assert _keys(parsed) == {
        "ip:203.0.113.5",
        "domain:c2.example",
        f"sha256:{SHA256}",
        "ip:192.0.2.1",
        "ip:192.0.2.2",
    }
    c2 = next(i for i in parsed.indicators if i.value == "203.0.113.5")
    assert c2.provider == "VNCERT"
    assert c2.confidence == 80
    assert c2.description == "Emotet C2"
    assert c2.expires_at == datetime(2026, 12, 31, tzinfo=UTC)
    assert c2.first_seen == datetime(2026, 1, 1, tzinfo=UTC)
    problems = {p.where: p.reason for p in parsed.problems}
    assert set(problems) == {
        "indicator--and",
        "indicator--seq",
        "indicator--sigma",
        "indicator--revoked",
        "indicator--broken",
    }
    assert "FOLLOWEDBY" in problems["indicator--seq"]
    assert "does not parse" in problems["indicator--broken"]


def _misp_event(uuid: str) -> dict:
    return {
        "Event": {
            "uuid": uuid,
            "info": "Phishing campaign against provincial agencies",
            "threat_level_id": "1",
            "Orgc": {"name": "CIRCL"},
            "Attribute": [
                {
                    "uuid": "a1",
                    "type": "ip-dst",
                    "value": "203.0.113.80",
                    "to_ids": True,
                    "timestamp": "1767225600",
                    "comment": "landing page",
                },
                {
                    "uuid": "a2",
                    "type": "domain|ip",
                    "value": "phish.example|203.0.113.81",
                    "to_ids": True,
                },
                {
                    "uuid": "a3",
                    "type": "filename|sha256",
                    "value": f"invoice.exe|{SHA256}",
                    "to_ids": True,
                },
                {"uuid": "a4", "type": "ip-src", "value": "10.1.2.3", "to_ids": False},
                {
                    "uuid": "a5",
                    "type": "url",
                    "value": "https://phish.example/a",
                    "to_ids": True,
                    "deleted": True,
                },
                {"uuid": "a6", "type": "email-src", "value": "x@phish.example", "to_ids": True},
                {"uuid": "a7", "type": "ip-dst|port", "value": "203.0.113.82|443", "to_ids": "1"},
            ],
            "Object": [
                {
                    "name": "url",
                    "Attribute": [
                        {
                            "uuid": "o1",
                            "type": "url",
                            "value": "https://phish.example/b",
                            "to_ids": True,
                        }
                    ],
                }
            ],
        }
    }


def test_misp_single_event(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(_misp_event("ev-1")), encoding="utf-8")
    assert detect_format(path) == "misp"
    parsed = read_feed(path, name="circl")
    assert _keys(parsed) == {
        "ip:203.0.113.80",
        "domain:phish.example",
        "ip:203.0.113.81",
        f"sha256:{SHA256}",
        "ip:203.0.113.82",
        "url:https://phish.example/b",
    }
    landing = next(i for i in parsed.indicators if i.value == "203.0.113.80")
    assert landing.provider == "CIRCL"
    assert landing.confidence == 85
    assert landing.description == "Phishing campaign against provincial agencies (landing page)"
    assert landing.last_seen == datetime(2026, 1, 1, tzinfo=UTC)
    assert [p.where for p in parsed.problems] == ["event ev-1/attribute a6"]
    assert parsed.skipped == 3  # not for IDS, deleted, and the e-mail address


def test_misp_feed_directory_and_search_response(tmp_path: Path) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "manifest.json").write_text(json.dumps({"ev-1": {}, "ev-2": {}, "ev-3": {}}))
    (feed / "ev-1.json").write_text(json.dumps(_misp_event("ev-1")))
    second = _misp_event("ev-2")
    second["Event"]["Attribute"] = [
        {"uuid": "b1", "type": "hostname", "value": "dropper.example", "to_ids": True}
    ]
    second["Event"]["Object"] = []
    (feed / "ev-2.json").write_text(json.dumps(second))
    parsed = read_feed(feed, name="circl")
    assert "domain:dropper.example" in _keys(parsed)
    assert "ip:203.0.113.80" in _keys(parsed)
    assert any(p.where == "ev-3.json" for p in parsed.problems)  # listed, but missing

    response = tmp_path / "search.json"
    response.write_text(json.dumps({"response": [_misp_event("ev-1"), second]}))
    assert _keys(read_feed(response, name="x", fmt="misp")) == _keys(parsed)


def test_unreadable_feeds_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file"):
        read_feed(tmp_path / "missing.csv", name="x")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValidationError, match="not valid JSON"):
        read_feed(broken, name="x")
    with pytest.raises(ValidationError, match="unknown feed format"):
        read_feed(broken, name="x", fmt="openioc")
