"""What detection needs from the case store, as protocols (docs/CONTRACTS.md).

Detection and cases are sibling layers: neither imports the other. `soc.cases.CaseService`
implements both protocols and `soc.services` hands it to the scheduler.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from soc.model.alert import Alert


class AlertSink(Protocol):
    def add_alerts(self, alerts: Sequence[Alert]) -> int:
        """Store alerts, ignoring ids already stored; return how many were new."""
        ...


class CheckpointStore(Protocol):
    def get_checkpoint(self, rule_id: str) -> datetime | None:
        """End of the last window the rule ran over successfully (ingest time), if any."""
        ...

    def set_checkpoint(
        self, rule_id: str, until: datetime, *, matches: int, error: str | None = None
    ) -> None:
        """Record a run; with `error`, the rule failed and its checkpoint must not move."""
        ...


class RuleControls(Protocol):
    """What people decide about rules, read by the scheduler on every pass.

    Read from the case store rather than pushed to the scheduler, so a switch made in any UI
    process reaches the one detection worker without a restart or a message bus.
    """

    def disabled_rules(self) -> frozenset[str]:
        """Rules an analyst switched off."""
        ...

    def failing_rules(self) -> frozenset[str]:
        """Rules whose last recorded run failed; a quarantined rule that leaves this set was
        retried by someone and runs again."""
        ...

    def pass_over(self, rule_id: str, until: datetime) -> None:
        """Move a disabled rule's checkpoint to `until` without recording a run."""
        ...
