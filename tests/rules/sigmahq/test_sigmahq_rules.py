"""The vendored SigmaHQ rule set: it all loads, what does not compile is known and why, and
real attack recordings trigger the SigmaHQ rules written for them.

Events go through the real path: EVTX files read by `collectors.files.read_events`, written to
a DuckDB event store, rules compiled by `soc.rules` with the shipped pipelines and run by the
store, as the scheduler and `soc hunt` run them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shared_data import SHARED_DATA

from collectors.files import read_events
from soc.rules import Catalog, compile_rules, load_rules
from soc.storage import DuckDBEventStore

ROOT = Path(__file__).resolve().parents[3]
SIGMAHQ = ROOT / "rules" / "sigmahq"
PIPELINES = ROOT / "rules" / "pipelines"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ATTACK = SHARED_DATA / "evtx" / "hayabusa-sample-evtx" / "EVTX-to-MITRE-Attack"
DEEPBLUE = SHARED_DATA / "evtx" / "hayabusa-sample-evtx" / "DeepBlueCLI"

# Log sources no pipeline maps, with the number of SigmaHQ rules each holds. Why: cloud and SaaS
# audit logs (aws, azure, gcp, m365, okta, github, bitbucket, onelogin, kubernetes, cisco duo)
# need API collectors the platform does not have; macOS endpoints, OpenCanary, Qualys and
# application frameworks (jvm, spring, django, ...) have no parser; FortiOS SSL VPN daemon and
# GlobalProtect keyword rules need vendor parsers we do not have; Windows file_rename comes from
# the Kernel-File ETW provider, which no event log records; `product: windows` alone cannot be
# told apart from the categorised rules.
NOT_COLLECTED = {
    "category=database": 1,
    "product=aws, service=cloudtrail": 57,
    "product=azure, service=activitylogs": 35,
    "product=azure, service=auditlogs": 44,
    "product=azure, service=pim": 7,
    "product=azure, service=riskdetection": 19,
    "product=azure, service=signinlogs": 19,
    "product=bitbucket, service=audit": 14,
    "product=cisco, service=duo": 1,
    "product=django, category=application": 1,
    "product=fortios, service=sslvpnd": 1,
    "product=gcp, service=gcp.audit": 16,
    "product=gcp, service=google_workspace.admin": 7,
    "product=gcp, service=google_workspace.login": 3,
    "product=github, service=audit": 15,
    "product=jvm, category=application": 5,
    "product=kubernetes, category=application, service=audit": 10,
    "product=kubernetes, service=audit": 6,
    "product=m365, service=audit": 6,
    "product=m365, service=exchange": 1,
    "product=m365, service=threat_detection": 1,
    "product=m365, service=threat_management": 13,
    "product=macos, category=file_event": 5,
    "product=macos, category=process_creation": 70,
    "product=nodejs, category=application": 1,
    "product=okta, service=okta": 23,
    "product=onelogin, service=onelogin.events": 2,
    "product=opencanary, category=application": 24,
    "product=paloalto, category=appliance, service=globalprotect": 1,
    "product=paloalto, category=file_event, service=globalprotect": 1,
    "product=python, category=application": 1,
    "product=qualys": 2,
    "product=ruby_on_rails, category=application": 1,
    "product=spring, category=application": 2,
    "product=sql, category=application": 1,
    "product=velocity, category=application": 1,
    "product=windows": 1,
    "product=windows, category=file_rename": 2,
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    ruleset = load_rules([SIGMAHQ])
    assert ruleset.errors == []  # every vendored rule loads
    return compile_rules(ruleset, [PIPELINES])


def test_everything_but_uncollected_sources_and_site_placeholders_compiles(
    catalog: Catalog,
) -> None:
    uncollected: dict[str, int] = {}
    placeholders = 0
    for problem in catalog.errors:
        if problem.reason.startswith("unknown placeholder"):  # site values, e.g. %Workstations%
            placeholders += 1
            continue
        assert problem.reason.startswith("no pipeline maps log source "), problem
        source = problem.reason.removeprefix("no pipeline maps log source ")
        source = source.removesuffix(": not collected here")
        uncollected[source] = uncollected.get(source, 0) + 1
    assert uncollected == NOT_COLLECTED
    assert placeholders == 25
    assert len(catalog.compiled) >= 3290


CREDS = ATTACK / "TA0006-Credential Access" / "T1003-Credential dumping"
SERVICES = (
    ATTACK / "TA0003-Persistence" / "T1543.003-Create or Modify System Process-Windows Service"
)
DISABLE = ATTACK / "TA0005-Defense Evasion" / "T1562.001-Impair Defenses-Disable or Modify tool"
CLEAR = ATTACK / "TA0005-Defense Evasion" / "T1070.001-Clear Windows event logs"
IFEO = ATTACK / "TA0004-Privilege Escalation" / "T1546-Image File Execution Options Injection"
# (recording, SigmaHQ rule id that must fire on it): one or more clear cases per technique.
EXPECTED = [
    # mimikatz run (Sysmon 1) and its handle to lsass (Sysmon 10)
    (CREDS / "ID10-Mimikatz LSASS process dump.evtx",
     "a642964e-bead-4bed-8910-1bb4d63e3b4d"),  # HackTool - Mimikatz Execution
    (CREDS / "ID10-Mimikatz LSASS process dump.evtx",
     "678dfc63-fefb-47a5-a04c-26bcf8cc9f65"),  # Uncommon GrantedAccess Flags On LSASS
    # lsass dumped through comsvcs.dll: Sysmon 1, and Security 4688 (the generic log source)
    (CREDS / "ID1-LSASS dump with LSASSY (SYSMON).evtx",
     "646ea171-dded-4578-8a4d-65e9822892e3"),  # Process Memory Dump Via Comsvcs.DLL
    (CREDS / "ID4688-4663-4656-LSASS dump with LSASSY (process).evtx",
     "646ea171-dded-4578-8a4d-65e9822892e3"),
    # lsass handle requests audited by Security 4656/4663
    (CREDS / "ID4656-4663-4658 Mimikatz sekurlsa password dump.evtx",
     "4a1b6da0-d94f-4fc3-98fc-2d9cb9e5ee76"),  # Potentially Suspicious AccessMask From LSASS
    # encoded PowerShell started, seen by Security 4688
    (DEEPBLUE / "powersploit-security.evtx",
     "ca2092a1-c273-4878-9b4b-0d60115bf5ea"),  # Suspicious Encoded PowerShell Command Line
    # PowerShell script block logging (4104)
    (CREDS / "ID800-4103-4104-LSASS dump with LSASSY (PowerShell).evtx",
     "84c174ab-d3ef-481f-9c86-a50d0b8e3edb"),  # PowerShell Get-Process LSASS in ScriptBlock
    # log clearing: Security 1102, and System 104 whose data is UserData
    (CLEAR / "ID104-1102-Event log cleared.evtx",
     "d99b79d2-0a6f-4f46-ad8b-260b6e17f982"),  # Security Eventlog Cleared
    (DEEPBLUE / "disablestop-eventlog.evtx",
     "100ef69e-3327-481c-8e5c-6d80d9507556"),  # Important Windows Eventlog Cleared
    # new services (System 7045)
    (SERVICES / "ID7045-New service for Mimikatz +npcap.evtx",
     "4976aa50-8f41-45c6-8b15-ab3fc10e79ed"),  # Credential Dumping Tools Service Execution
    (SERVICES / "ID7045-7036 PSexec service installation.evtx",
     "42c575ea-e41e-41f1-b248-8093c3e82a28"),  # PsExec Service Installation
    # Defender: a detection (1116) and an exclusion added (5007: "New Value", with a space)
    (ATTACK / "Antivirus" / "ID1116-1117-Defender threat detected.evtx",
     "57b649ef-ff42-4fb0-8bf6-62da243a1708"),  # Windows Defender Threat Detected
    (DISABLE / "ID5007-Defender threat exclusion (native).evtx",
     "1321dc4e-a1fe-481d-a016-52c45f0c8b4f"),  # Windows Defender Exclusions Added
    # sticky-key backdoor through the registry (Sysmon 13)
    (IFEO / "ID12,13-Stickey key registry update.evtx",
     "baca5663-583c-45f9-b5dc-ea96a22ce542"),  # Sticky Key Like Backdoor Usage - Registry
]  # fmt: skip
# A recording with none of these techniques: a new local user and group membership.
BENIGN = DEEPBLUE / "new-user-security.evtx"


@pytest.fixture(scope="module")
def hits(
    catalog: Catalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, set[str]]]:
    """Rule id -> files whose events it matched, over every recording above."""
    store = DuckDBEventStore(tmp_path_factory.mktemp("sigmahq") / "events.duckdb")
    files = sorted({path for path, _ in EXPECTED} | {BENIGN})
    events = list(read_events(files))
    store.write_batch(events)
    paths = {event["event"]["id"]: event["log"]["file"]["path"] for event in events}
    found: dict[str, set[str]] = {}
    for rule_id in {rule_id for _, rule_id in EXPECTED}:
        rule = catalog.get(rule_id)
        assert rule is not None, f"{rule_id} did not compile"
        rows = store.run_rule(rule.sql, ingested_after=EPOCH, ingested_until=store.now())
        found[rule_id] = {paths[row["event_id"]] for row in rows}
    yield found
    store.close()


@pytest.mark.parametrize(
    ("recording", "rule_id"), EXPECTED, ids=[f"{p.stem}:{r[:8]}" for p, r in EXPECTED]
)
def test_attack_recording_triggers_its_sigmahq_rule(
    hits: dict[str, set[str]], recording: Path, rule_id: str
) -> None:
    assert str(recording) in hits[rule_id]


def test_the_benign_recording_triggers_none_of_them(hits: dict[str, set[str]]) -> None:
    assert [rule for rule, files in hits.items() if str(BENIGN) in files] == []
