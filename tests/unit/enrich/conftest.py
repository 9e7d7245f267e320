"""A migrated case store on a real SQLite file with two agencies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from soc.cases import CaseService
from soc.model.agency import Agency


@pytest.fixture
def cases(tmp_path: Path) -> Iterator[CaseService]:
    service = CaseService(f"sqlite:///{tmp_path / 'cases.sqlite'}")
    service.migrate()
    service.upsert_agency(Agency("so-a", "Sở A", ("10.1.0.0/16",)))
    service.upsert_agency(Agency("so-b", "Sở B", ("10.2.0.0/16",)))
    yield service
    service.close()
