"""Threat-intel feeds in the case store: a re-import replaces the feed; removal; versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from soc.cases import CaseService
from soc.errors import Forbidden, NotFound, ValidationError
from soc.model.event import utcnow
from soc.model.intel import Indicator


def _ips(*values: str, **kwargs) -> list[Indicator]:
    return [Indicator("ip", v, "cert", **kwargs) for v in values]


def test_import_then_reimport_replaces_the_feed(service: CaseService, people) -> None:
    version0 = service.intel.version()
    first = service.intel.import_feed(
        "cert", "csv", "/srv/cert.csv", _ips("192.0.2.1", "192.0.2.2", "192.0.2.1"), skipped=3
    )
    assert (first.added, first.updated, first.removed) == (2, 0, 0)
    assert first.feed.indicator_count == 2 and first.feed.skipped_count == 3
    version1 = service.intel.version()
    assert version1 != version0
    born = {i.value: i.first_seen for i in service.intel.active_indicators()}

    second = service.intel.import_feed(
        "cert", "csv", "/srv/cert.csv", _ips("192.0.2.2", "192.0.2.3"), by=people.admin
    )
    assert (second.added, second.updated, second.removed) == (1, 1, 1)
    assert service.intel.version() != version1
    now = {i.value: i for i in service.intel.active_indicators()}
    assert set(now) == {"192.0.2.2", "192.0.2.3"}
    assert now["192.0.2.2"].first_seen == born["192.0.2.2"]  # still the first sighting
    [feed] = service.intel.feeds()
    assert feed.imported_by == "admin" and feed.format == "csv"


def test_expiry_own_or_default(service: CaseService) -> None:
    own = datetime(2030, 1, 1, tzinfo=UTC)
    service.intel.import_feed(
        "cert",
        "stix",
        "b.json",
        [Indicator("ip", "192.0.2.1", "cert", expires_at=own), *_ips("192.0.2.2")],
        expire_after=timedelta(days=30),
    )
    found = {i.value: i.expires_at for i in service.intel.active_indicators()}
    assert found["192.0.2.1"] == own
    assert found["192.0.2.2"] is not None
    assert timedelta(days=29) < found["192.0.2.2"] - utcnow() <= timedelta(days=30)
    later = utcnow() + timedelta(days=31)
    assert [i.value for i in service.intel.active_indicators(later)] == ["192.0.2.1"]


def test_feeds_are_kept_apart_and_removed_whole(service: CaseService) -> None:
    service.intel.import_feed("cert", "csv", "a", _ips("192.0.2.1"))
    service.intel.import_feed("circl", "misp", "b", [Indicator("ip", "192.0.2.1", "circl")])
    assert len(service.intel.active_indicators()) == 2
    service.intel.remove_feed("cert")
    assert [i.feed for i in service.intel.active_indicators()] == ["circl"]
    with pytest.raises(NotFound):
        service.intel.remove_feed("cert")


def test_only_admins_and_sane_names(service: CaseService, people) -> None:
    with pytest.raises(Forbidden):
        service.intel.import_feed("cert", "csv", "a", _ips("192.0.2.1"), by=people.analyst)
    with pytest.raises(ValidationError):
        service.intel.import_feed("../etc", "csv", "a", [])
    with pytest.raises(ValidationError):
        service.intel.import_feed("cert", "openioc", "a", [])
    assert service.intel.feeds() == []
