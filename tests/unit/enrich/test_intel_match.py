"""Events meet indicators: which fields match, what the event then carries, which alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soc.enrich.intel import IntelIndex, alerts_for, apply_matches
from soc.model.event import stamp
from soc.model.intel import Indicator

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _index(*indicators: Indicator) -> IntelIndex:
    return IntelIndex(indicators)


def _event(**doc) -> dict:
    base = {"@timestamp": "2026-03-02T08:00:00.000Z", "organization": {"id": "so-a"}}
    base.update(doc)
    return stamp(base, dataset="test")


def test_exact_and_network_addresses_longest_prefix_first() -> None:
    index = _index(
        Indicator("ip", "203.0.113.7", "cert", confidence=90),
        Indicator("ip", "198.51.100.0/24", "wide", description="hosting"),
        Indicator("ip", "198.51.100.128/25", "narrow"),
        Indicator("ip", "2001:db8::/32", "v6"),
    )
    event = _event(source={"ip": "10.1.2.3"}, destination={"ip": "203.0.113.7"})
    [match] = index.match(event)
    assert (match.field, match.atomic) == ("destination.ip", "203.0.113.7")
    assert index.match(_event(source={"ip": "198.51.100.200"}))[0].indicators[0].feed == "narrow"
    assert index.match(_event(source={"ip": "198.51.100.20"}))[0].indicators[0].feed == "wide"
    assert index.match(_event(client={"ip": "2001:db8:1::5"}))[0].indicators[0].feed == "v6"
    assert index.match(_event(source={"ip": "198.51.101.1"})) == []
    # related.ip repeats source/destination: each value is reported once, by its first field.
    both = _event(source={"ip": "203.0.113.7"}, related={"ip": ["203.0.113.7"]})
    assert [m.field for m in index.match(both)] == ["source.ip"]


def test_domains_cover_subdomains_and_urls_name_their_host() -> None:
    index = _index(
        Indicator("domain", "evil.example", "cert"),
        Indicator("url", "http://shop.example/pay.php?id=1", "cert"),
    )
    assert index.match(_event(dns={"question": {"name": "cdn.EVIL.example."}}))
    assert index.match(_event(url={"domain": "evil.example"}))
    assert not index.match(_event(url={"domain": "notevil.example"}))
    # A web log with the full URL: the URL and its host are both looked up.
    [by_url] = index.match(_event(url={"original": "HTTP://shop.example:80/pay.php?id=1"}))
    assert by_url.atomic == "http://shop.example/pay.php?id=1"
    [by_host] = index.match(_event(url={"full": "https://a.evil.example/x"}))
    assert (by_host.field, by_host.atomic) == ("url.full", "a.evil.example")


def test_hashes_from_ecs_fields_and_sysmon() -> None:
    index = _index(Indicator("sha256", SHA256, "cert"), Indicator("md5", MD5, "cert"))
    assert index.match(_event(file={"hash": {"sha256": SHA256.upper()}}))
    assert index.match(_event(process={"parent": {"hash": {"md5": MD5}}}))
    sysmon = _event(winlog={"event_data": {"Hashes": f"SHA1=AAAA,MD5={MD5.upper()},IMPHASH=BBBB"}})
    [match] = index.match(sysmon)
    assert match.field == "winlog.event_data.Hashes"
    assert not index.match(_event(file={"hash": {"sha1": SHA256}}))


def test_expired_indicators_do_not_match() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    index = _index(
        Indicator("ip", "203.0.113.7", "old", expires_at=now - timedelta(seconds=1)),
        Indicator("ip", "203.0.113.8", "live", expires_at=now + timedelta(days=1)),
    )
    assert not index.match(_event(source={"ip": "203.0.113.7"}), now=now)
    assert index.match(_event(source={"ip": "203.0.113.8"}), now=now)


def test_matches_become_ecs_threat_fields_and_deterministic_alerts() -> None:
    index = _index(
        Indicator("ip", "203.0.113.7", "cert", confidence=20, provider="VNCERT"),
        Indicator(
            "ip",
            "203.0.113.7",
            "circl",
            confidence=90,
            description="Emotet C2",
            first_seen=datetime(2026, 1, 1, tzinfo=UTC),
        ),
    )
    event = _event(
        destination={"ip": "203.0.113.7"},
        related={"organization_ids": ["so-a", "so-b"]},
    )
    matches = index.match(event)
    apply_matches(event, matches)
    threat = event["threat"]
    assert threat["indicator"] == {
        "type": "ipv4-addr",
        "ip": "203.0.113.7",
        "provider": "circl",
        "confidence": "High",
        "description": "Emotet C2",
        "first_seen": "2026-01-01T00:00:00.000Z",
    }
    assert threat["feed"] == {"name": "circl"}
    assert [e["indicator"]["provider"] for e in threat["enrichments"]] == ["circl", "VNCERT"]
    assert threat["enrichments"][0]["matched"] == {
        "atomic": "203.0.113.7",
        "field": "destination.ip",
        "id": "ip:203.0.113.7",
        "index": "circl",
        "type": "indicator_match",
    }
    [alert] = alerts_for(event, matches)
    assert alert.rule_id == "soc-threat-intel"
    assert alert.severity == "high"
    assert alert.agency_ids == ("so-a", "so-b")
    assert alert.event_ids == (event["event"]["id"],)
    assert alert.entity == "203.0.113.7"
    assert alert.details["feeds"] == ["cert", "circl"]
    assert "Emotet C2" in alert.summary
    assert alerts_for(event, index.match(event))[0].id == alert.id  # same event, same alert
    other = _event(destination={"ip": "203.0.113.7"})
    assert alerts_for(other, index.match(other))[0].id != alert.id  # another event, another


def test_an_empty_index_is_falsy_and_matches_nothing() -> None:
    index = IntelIndex([])
    assert not index
    assert index.match(_event(source={"ip": "203.0.113.7"})) == []
