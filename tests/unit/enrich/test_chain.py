"""The chain at ingest over a real case store: agency, GeoIP, intel fields, queued alerts."""

from __future__ import annotations

from datetime import timedelta

from soc.cases import CaseService
from soc.enrich.chain import Enricher, EnrichmentSources
from soc.enrich.geoip import GeoIp
from soc.model.agency import Agency, Principal
from soc.model.event import stamp
from soc.model.intel import Indicator

ADMIN = Principal(0, "admin", "admin")


def _enricher(cases: CaseService, **kwargs) -> Enricher:
    sources = EnrichmentSources(
        agencies=cases.agencies,
        intel_version=cases.intel.version,
        indicators=cases.intel.active_indicators,
    )
    return Enricher(sources, alerts=cases, geoip=GeoIp(), **kwargs)


def _event(src: str, dst: str) -> dict:
    return stamp(
        {
            "@timestamp": "2026-03-02T08:00:00.000Z",
            "source": {"ip": src},
            "destination": {"ip": dst},
        },
        dataset="fortinet.firewall",
    )


def test_agency_geoip_and_intel_in_one_pass(cases: CaseService) -> None:
    cases.intel.import_feed(
        "cert", "csv", "cert.csv", [Indicator("ip", "8.8.4.4", "cert", confidence=90)]
    )
    enricher = _enricher(cases)
    event = enricher.tag(_event("10.1.2.3", "8.8.4.4"))
    assert event["organization"] == {"id": "so-a", "name": "Sở A"}
    assert enricher.lookup("10.2.0.1").id == "so-b"  # as AgencyTagger, for collectors' health
    assert event["destination"]["geo"]["country_iso_code"] == "US"
    assert event["threat"]["indicator"]["ip"] == "8.8.4.4"
    assert enricher.flush_alerts() == 1
    analyst = Principal(0, "analyst", "analyst")
    alerts, total = cases.list_alerts(analyst, rule_id="soc-threat-intel", status=None)
    assert total == 1
    assert alerts[0].agency_ids == ("so-a",)
    assert alerts[0].event_ids == (event["event"]["id"],)
    # The same event again (a retried batch): the same alert id, nothing new.
    enricher.tag(event)
    assert enricher.flush_alerts() == 0
    agency_b = Principal(0, "b", "agency_admin", "so-b")
    assert cases.list_alerts(agency_b, status=None)[1] == 0  # not the other agency's business
    enricher.close()


def test_refresh_picks_up_new_feeds_and_agencies(cases: CaseService) -> None:
    enricher = _enricher(cases)
    assert not enricher.refresh()  # nothing changed
    assert "threat" not in enricher.tag(_event("10.3.0.1", "8.8.4.4"))
    cases.intel.import_feed("cert", "csv", "cert.csv", [Indicator("ip", "8.8.4.4", "cert")])
    cases.upsert_agency(Agency("so-c", "Sở C", ("10.3.0.0/16",)))
    assert enricher.refresh()
    assert enricher.indicator_count == 1
    event = enricher.tag(_event("10.3.0.1", "8.8.4.4"))
    assert event["organization"]["id"] == "so-c"
    assert event["threat"]["enrichments"][0]["matched"]["field"] == "destination.ip"
    cases.intel.remove_feed("cert")
    assert enricher.refresh()
    assert "threat" not in enricher.tag(_event("10.3.0.1", "8.8.4.4"))
    enricher.close()


def test_expired_indicators_are_not_loaded(cases: CaseService) -> None:
    cases.intel.import_feed(
        "cert",
        "csv",
        "cert.csv",
        [Indicator("ip", "8.8.4.4", "cert")],
        expire_after=timedelta(seconds=-1),
    )
    assert _enricher(cases).indicator_count == 0


def test_close_hands_over_pending_alerts(cases: CaseService) -> None:
    cases.intel.import_feed("cert", "csv", "cert.csv", [Indicator("ip", "8.8.4.4", "cert")])
    # A long flush interval: only `close` delivers.
    enricher = _enricher(cases, alert_flush_seconds=3600)
    enricher.tag(_event("10.2.0.9", "8.8.4.4"))
    enricher.close()
    alerts, total = cases.list_alerts(Principal(0, "a", "analyst"), status=None)
    assert total == 1 and alerts[0].agency_ids == ("so-b",)


def test_columnar_callers_get_the_agency_table_only_while_no_indicators_are_loaded(
    cases: CaseService,
) -> None:
    enricher = _enricher(cases)
    prefixes = enricher.ipv4_prefixes()
    assert prefixes is not None and enricher._worker is not None  # refreshes run
    assert enricher.geoip_lookup() is not None
    assert enricher.geoip_lookup()("8.8.4.4").country_iso_code == "US"
    cases.intel.import_feed("cert", "csv", "cert.csv", [Indicator("ip", "8.8.4.4", "cert")])
    assert enricher.refresh()
    assert enricher.ipv4_prefixes() is None  # intel matching needs the event dicts
    enricher.close()
