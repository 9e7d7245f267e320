"""SigmaHQ's proxy rules over the web requests firewalls log: FortiGate's web filter and Palo
Alto's URL filtering, read as syslog lines through the real path (`read_events`, a DuckDB event
store, the rules compiled with the shipped pipelines). An IPS record that carries a URL and a
web server's own access log are not proxy logs and match none of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rule_matches import matches_over_lines

ROOT = Path(__file__).resolve().parents[3]
PROXY = ROOT / "rules" / "sigmahq" / "rules" / "web" / "proxy_generic"

TELEGRAM_API = "b494b165-6634-483d-8c47-2026a6c52372"  # cs-host api.telegram.org, UA not a bot
RAW_PASTE = "5468045b-4fcc-4d1a-973c-c9c9578edacb"  # c-uri contains paste.ee/ and others

FORTIGATE = (
    '<189>date=2024-03-05 time=14:12:03 devname="FGT-SOYTE" devid="FGT60FTK2209ABCD" '
    'eventtime=1709622723000000000 tz="+0700" logid="0317013312" type="utm" subtype="webfilter" '
    'eventtype="ftgd_allow" level="notice" vd="root" policyid=7 sessionid={session} '
    'srcip=10.20.4.18 srcport=52250 srcintf="internal" dstip=198.51.100.20 dstport=443 '
    'dstintf="wan1" proto=6 service="HTTPS" hostname="{host}" profile="default" '
    'action="passthrough" reqtype="direct" url="{path}" sentbyte=517 rcvdbyte=0 '
    'direction="outgoing" msg="URL belongs to an allowed category in policy" method="domain" '
    'cat=52 catdesc="Information Technology"'
)
PAN_URL = (
    "<14>Mar  5 10:00:09 PA-SOYTE-01 1,2024/03/05 10:00:06,012801000001,THREAT,url,2561,"
    "2024/03/05 10:00:07,10.20.4.19,198.51.100.21,0.0.0.0,0.0.0.0,inbound-portal,,,ssl,vsys1,"
    "trust,untrust,ethernet1/1,ethernet1/3,fwd-to-soc,2024/03/05 10:00:06,654322,1,52251,443,"
    '0,0,0x400053,tcp,alert,"paste.ee/r/Xk2Pz",(9999),any,informational,client-to-server,7003,'
    "0x2000000000000000,United States,10.0.0.0-10.255.255.255,,,0,,,0,"
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0 Safari/537.36,,,,,,,0,0,0,0,0,,PA-SOYTE-01,,,,,,,0,,0,"
    "code-execution,8780-8416,0,0,0,,,5fbd2e7c-7a5d-4c4e-9f0a-0f2e7f3b5a13,0,"
)
IPS_WITH_URL = (
    '<185>date=2024-03-05 time=14:13:00 devname="FGT-SOYTE" devid="FGT60FTK2209ABCD" '
    'logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" '
    'srcip=203.0.113.66 srcport=40001 dstip=10.20.4.5 dstport=443 proto=6 service="HTTPS" '
    'hostname="paste.ee" url="/r/from-outside" action="dropped" attack="Paste.Probe"'
)
WEB_SERVER = (
    "<190>Mar  5 10:00:11 web01 nginx: 203.0.113.7 - - [05/Mar/2024:10:00:11 +0700] "
    '"GET /r/paste.ee/x HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
)


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[str]]]:
    """Rule id -> the `url.original` of each request it matched, over every proxy rule."""
    folder = tmp_path_factory.mktemp("proxy")
    lines = [
        FORTIGATE.format(session=1, host="api.telegram.org", path="/bot71/sendMessage"),
        FORTIGATE.format(session=2, host="paste.ee", path="/r/Qm9vaw"),
        FORTIGATE.format(session=3, host="docs.example.gov.vn", path="/raw/report.pdf"),
        PAN_URL,
        IPS_WITH_URL,
        WEB_SERVER,
    ]
    yield matches_over_lines(folder, lines, [PROXY], lambda e: e.get("url", {}).get("original", ""))


def test_proxy_rules_read_the_firewalls_web_requests(matched: dict[str, list[str]]) -> None:
    assert matched == {
        TELEGRAM_API: ["https://api.telegram.org/bot71/sendMessage"],
        RAW_PASTE: ["https://paste.ee/r/Qm9vaw", "paste.ee/r/Xk2Pz"],
    }
