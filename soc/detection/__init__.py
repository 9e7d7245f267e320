"""Detection: run compiled rules on a schedule over ingest-time windows and emit alerts.

`Scheduler` is the loop; `AlertSink` and `CheckpointStore` are what it needs from the case
store (implemented by `soc.cases.CaseService`, wired in `soc.services`).
"""

from soc.detection.alerts import alerts_from_rows
from soc.detection.ports import AlertSink, CheckpointStore
from soc.detection.scheduler import RunReport, Scheduler

__all__ = ["AlertSink", "CheckpointStore", "RunReport", "Scheduler", "alerts_from_rows"]
