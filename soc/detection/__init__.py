"""Detection: run compiled rules on a schedule over ingest-time windows and emit alerts.

`Scheduler` is the loop; `AlertSink`, `CheckpointStore` and `RuleControls` are what it needs
from the case store (implemented by `soc.cases.CaseService`, wired in `soc.services`).
`run_retro` runs chosen rules over a past window; `RetroJobs` runs such hunts in the background.
"""

from soc.detection.alerts import alerts_from_rows
from soc.detection.ports import AlertSink, CheckpointStore, RuleControls
from soc.detection.retro import RetroResult, RuleRetro, run_retro
from soc.detection.retro_jobs import RetroJob, RetroJobs
from soc.detection.scheduler import RunReport, Scheduler

__all__ = [
    "AlertSink",
    "CheckpointStore",
    "RetroJob",
    "RetroJobs",
    "RetroResult",
    "RuleControls",
    "RuleRetro",
    "RunReport",
    "Scheduler",
    "alerts_from_rows",
    "run_retro",
]
