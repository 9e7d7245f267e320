"""SigmaHQ's DNS rules over the DNS records a network sends as syslog: FortiGate's DNS filter
(whose logs share one dataset with all a FortiGate's others) and Suricata's EVE DNS records,
read through the real path (`read_events`, a DuckDB event store, the shipped pipelines). A DNS
log is any event with a question; a web filter record for the same host is not one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rule_matches import matches_over_lines

ROOT = Path(__file__).resolve().parents[3]
DNS = ROOT / "rules" / "sigmahq" / "rules" / "network" / "dns"

TELEGRAM = "c64c5175-5189-431b-a55e-6d9882158251"  # query api.telegram.org
COBALT_STRIKE = "2975af79-28c4-4d2f-a951-9095f229df29"  # query contains .stage.123456.
TXT_EXEC = "8ae51330-899c-4641-8125-e39f2e07da72"  # a TXT answer contains IEX, cmd.exe, ...

FORTIGATE_DNS = (
    '<189>date=2024-03-05 time=14:13:04 devname="FGT-SOYTE" devid="FGT60FTK2209ABCD" '
    'eventtime=1709622784000000000 tz="+0700" logid="1501054802" type="utm" subtype="dns" '
    'eventtype="dns-response" level="notice" vd="root" policyid=7 sessionid={session} '
    'srcip=10.20.4.19 srcport=53111 srcintf="internal" dstip=10.20.0.53 dstport=53 '
    'dstintf="wan1" proto=17 profile="default" xid=4321 qname="{name}" qtype="A" qtypeval=1 '
    'qclass="IN" ipaddr="198.51.100.7" msg="Domain is monitored" action="pass" cat=52 '
    'catdesc="Information Technology"'
)
FORTIGATE_WEB = (
    '<189>date=2024-03-05 time=14:12:03 devname="FGT-SOYTE" devid="FGT60FTK2209ABCD" '
    'eventtime=1709622723000000000 tz="+0700" logid="0317013312" type="utm" '
    'subtype="webfilter" eventtype="ftgd_allow" level="notice" vd="root" policyid=7 '
    "sessionid=9 srcip=10.20.4.18 srcport=52250 dstip=198.51.100.20 dstport=443 proto=6 "
    'service="HTTPS" hostname="api.telegram.org" action="passthrough" url="/bot71/getMe" '
    'msg="URL belongs to an allowed category in policy" cat=52 catdesc="Information Technology"'
)
SURICATA = "<14>Mar  5 10:00:09 ids suricata[99]: {json}"
QUERY = (
    '{{"timestamp":"2024-03-05T17:00:10.000001+0700","event_type":"dns","src_ip":"10.20.4.19",'
    '"src_port":53111,"dest_ip":"10.20.0.53","dest_port":53,"proto":"UDP","dns":{{"type":'
    '"query","id":17,"rrname":"{name}","rrtype":"{kind}","tx_id":0}}}}'
)

# EVE v2 detailed answers: SigmaHQ's `answer` is any element's `dns.answers.data`
ANSWER = (
    '{{"timestamp":"2024-03-05T17:00:11.000001+0700","event_type":"dns","src_ip":"10.20.0.53",'
    '"src_port":53,"dest_ip":"10.20.4.19","dest_port":53111,"proto":"UDP","dns":{{"version":2,'
    '"type":"answer","id":18,"flags":"8180","qr":true,"rrname":"{name}","rrtype":"TXT",'
    '"rcode":"NOERROR","answers":[{{"rrname":"{name}","rrtype":"TXT","ttl":60,'
    '"rdata":"v=spf1 -all"}},'
    '{{"rrname":"{name}","rrtype":"TXT","ttl":60,"rdata":"{text}"}}]}}}}'
)


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[str]]]:
    """Rule id -> the question of each DNS record it matched, over every DNS rule."""
    folder = tmp_path_factory.mktemp("dns")
    lines = [
        FORTIGATE_DNS.format(session=1, name="api.telegram.org"),
        FORTIGATE_DNS.format(session=2, name="update.example.com"),
        FORTIGATE_WEB,
        SURICATA.format(json=QUERY.format(name="aaa.stage.123456.example.net", kind="TXT")),
        SURICATA.format(json=QUERY.format(name="www.example.gov.vn", kind="A")),
        SURICATA.format(json=ANSWER.format(name="c2.example.net", text="powershell IEX(iwr x)")),
        SURICATA.format(json=ANSWER.format(name="mail.example.gov.vn", text="google-site-verify")),
    ]
    yield matches_over_lines(
        folder, lines, [DNS], lambda e: e.get("dns", {}).get("question", {}).get("name", "")
    )


def test_dns_rules_read_firewall_and_ids_dns_records(matched: dict[str, list[str]]) -> None:
    assert matched == {
        TELEGRAM: ["api.telegram.org"],
        COBALT_STRIKE: ["aaa.stage.123456.example.net"],
        TXT_EXEC: ["c2.example.net"],  # the second of its two answers
    }
