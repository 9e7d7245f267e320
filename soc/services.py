"""Composition root: builds the concrete parts from settings.

Nothing else in `soc` decides which implementation to use; the CLI, the UI and the tests all go
through `build_services` so that they run the same wiring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from soc.config import Settings
from soc.storage.base import EventStore


@dataclass
class Services:
    settings: Settings
    events: EventStore
    cases: Any  # soc.cases.CaseService (typed once the cases package lands)

    def close(self) -> None:
        self.events.close()
