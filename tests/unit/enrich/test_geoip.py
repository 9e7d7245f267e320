"""GeoIP and AS owner from the data geoip2fast ships: no network, no download."""

from __future__ import annotations

import subprocess
import sys

import pytest

from soc.enrich.geoip import GeoIp
from soc.errors import ConfigError


@pytest.fixture(scope="module")
def geoip() -> GeoIp:
    return GeoIp()


def test_public_addresses_get_country_and_as_owner(geoip: GeoIp) -> None:
    google = geoip.lookup("8.8.8.8")
    assert google is not None
    assert google.country_iso_code == "US"
    assert google.as_organization == "GOOGLE"
    vnpt = geoip.lookup("14.160.1.1")
    assert vnpt is not None and vnpt.country_iso_code == "VN"
    v6 = geoip.lookup("2001:4860:4860::8888")
    assert v6 is not None and v6.country_iso_code == "US"


@pytest.mark.parametrize("ip", ["10.1.2.3", "192.168.1.1", "127.0.0.1", "203.0.113.9", "x", ""])
def test_private_reserved_and_invalid_addresses_get_nothing(geoip: GeoIp, ip: str) -> None:
    assert geoip.lookup(ip) is None


def test_tag_fills_each_public_side_and_keeps_what_the_device_said(geoip: GeoIp) -> None:
    event = {
        "source": {"ip": "10.1.2.3"},
        "destination": {"ip": "8.8.8.8"},
        "client": {"ip": "14.160.1.1", "geo": {"country_iso_code": "XX"}},
    }
    geoip.tag(event)
    assert "geo" not in event["source"]
    assert event["destination"]["geo"] == {
        "country_iso_code": "US",
        "country_name": "United States",
    }
    assert event["destination"]["as"] == {"organization": {"name": "GOOGLE"}}
    assert event["client"]["geo"]["country_iso_code"] == "XX"
    assert event["client"]["geo"]["country_name"] == "Vietnam"


def test_one_data_file_per_process(geoip: GeoIp, tmp_path) -> None:
    other = tmp_path / "other.dat.gz"
    other.write_bytes(b"")
    with pytest.raises(ConfigError, match="another GeoIP data file"):
        GeoIp(str(other))
    assert GeoIp().lookup("8.8.8.8") is not None  # the loaded file is shared


def test_a_missing_data_file_is_a_config_error(tmp_path) -> None:
    # In a fresh process: this one already holds the shipped data.
    script = (
        "import sys\n"
        "from soc.enrich.geoip import GeoIp\n"
        "from soc.errors import ConfigError\n"
        "try:\n"
        "    GeoIp(sys.argv[1])\n"
        "except ConfigError as exc:\n"
        "    print(exc)\n"
    )
    missing = str(tmp_path / "missing.dat.gz")
    done = subprocess.run([sys.executable, "-c", script, missing], capture_output=True, text=True)
    assert done.stdout.strip() == f"{missing}: GeoIP data file not found"
