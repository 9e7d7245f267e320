"""SigmaHQ's Linux auditd rules over audit records read from a file (samples/auditd.log): the
records take the real path (`read_events`, a DuckDB event store, the rules compiled with the
shipped pipelines), and the rules written for what the records show match them, and only them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rule_matches import matches_by_rule

from collectors.files import read_events
from soc.rules import compile_rules, load_rules
from soc.storage import DuckDBEventStore

ROOT = Path(__file__).resolve().parents[3]
AUDITD = ROOT / "rules" / "sigmahq" / "rules" / "linux" / "auditd"
SAMPLE = ROOT / "tests" / "unit" / "parsers" / "samples" / "auditd.log"

DISABLE_ASLR = "e497a24e-9345-4a62-9803-b06d7d7cb132"  # sysctl -w ...=0, or personality()
SERVICE_SCANNING = "3761e026-f259-44e6-8826-719ed8079408"  # nmap & co, key network_connect_4
SYSTEM_INFO = "f34047d9-20d3-4e8b-8672-0a35cc50dc71"  # reading /etc/issue
HARDWARE_INFO = "1f358e2e-cb63-43c3-b575-dfb072a6814f"  # reading /etc/issue, too


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[tuple]]]:
    """Rule id -> (record type, serial) of each record it matched, for every auditd rule."""
    catalog = compile_rules(load_rules([AUDITD]), [ROOT / "rules" / "pipelines"])
    assert not [e for e in catalog.errors if e.stage != "load"], catalog.errors
    store = DuckDBEventStore(tmp_path_factory.mktemp("auditd") / "events.duckdb")
    found = matches_by_rule(
        catalog,
        store,
        list(read_events([SAMPLE])),
        lambda e: (e["auditd"]["log"]["record_type"], e["auditd"]["log"]["sequence"]),
    )
    yield found
    store.close()


def test_the_rules_for_what_the_records_show_match_those_records(
    matched: dict[str, list[tuple]],
) -> None:
    assert matched == {
        DISABLE_ASLR: [("EXECVE", 2201), ("SYSCALL", 2240)],
        SERVICE_SCANNING: [("SYSCALL", 2301)],
        SYSTEM_INFO: [("PATH", 2350)],
        HARDWARE_INFO: [("PATH", 2350)],
    }
