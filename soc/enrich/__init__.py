"""Enrichment at ingest: agency by CIDR (later GeoIP and threat intelligence)."""
