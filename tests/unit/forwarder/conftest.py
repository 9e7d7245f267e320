"""A real province over HTTPS on 127.0.0.1 (thread), with a throwaway CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from province_harness import Province
from syslog_harness import Pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def province(tmp_path: Path, pki: Pki) -> Iterator[Province]:
    served = Province.create(tmp_path / "province", pki)
    served.start()
    yield served
    served.close()
