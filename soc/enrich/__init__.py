"""Enrichment at ingest: agency by CIDR, GeoIP/ASN offline, threat-intel feeds from files.

`chain.Enricher` runs them in that order for the listeners and the ingest API alike; `feeds`
reads CSV, STIX 2.1 and MISP files into indicators that the case store keeps.
"""
