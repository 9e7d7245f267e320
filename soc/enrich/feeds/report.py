"""What a feed parser returns: the usable indicators and, for the rest, where and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from soc.model.intel import Indicator

MAX_PROBLEMS = 1000  # reported in full up to here; beyond, only counted


@dataclass(frozen=True)
class FeedProblem:
    where: str  # "line 12", "indicator--5f…", "event 3f…/attribute 9c…"
    reason: str


@dataclass
class ParsedFeed:
    format: str
    indicators: list[Indicator] = field(default_factory=list)
    problems: list[FeedProblem] = field(default_factory=list)
    skipped: int = 0  # entries not imported: problems, plus entries a feed marks as not for IDS

    def refuse(self, where: str, reason: str) -> None:
        self.skipped += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(FeedProblem(where, reason))
