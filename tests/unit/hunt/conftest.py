"""Shared fixtures: SigmaHQ Windows rules compiled both ways, and the real EVTX samples read once.

Compiling 2,400 rules takes a while, so each catalog is built once per test session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_data import SHARED_DATA

from collectors.files import read_events
from soc.detection.hunt import HuntRules, compile_hunt_rules
from soc.model.event import Event
from soc.rules import Catalog, RuleSet, compile_rules, load_rules

ROOT = Path(__file__).resolve().parents[3]
PIPELINES = ROOT / "rules" / "pipelines"
SIGMAHQ_WINDOWS = SHARED_DATA / "sigma" / "rules" / "windows"
EVTX_SAMPLES = SHARED_DATA / "evtx" / "hayabusa-sample-evtx"


@pytest.fixture(scope="session")
def windows_ruleset() -> RuleSet:
    return load_rules([SIGMAHQ_WINDOWS])


@pytest.fixture(scope="session")
def windows_live(windows_ruleset: RuleSet) -> Catalog:
    return compile_rules(windows_ruleset, [PIPELINES])


@pytest.fixture(scope="session")
def windows_hunt(windows_ruleset: RuleSet) -> HuntRules:
    return compile_hunt_rules(windows_ruleset, [PIPELINES])


@pytest.fixture(scope="session")
def evtx_events() -> list[Event]:
    """Every record of the 315 sample files, as `soc hunt` reads them (16,801 events)."""
    return list(read_events([EVTX_SAMPLES], format="evtx"))
