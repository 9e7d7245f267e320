"""What went wrong with one rule, kept as data so the UI can list every quarantined rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class RuleProblem:
    """A rule that could not be loaded or compiled (or, stage "validate", a style finding).

    Problems are collected, never raised: one broken rule in a directory of three thousand must
    not stop the others, and it must not disappear silently either.
    """

    path: str
    reason: str
    stage: Literal["load", "compile", "validate"]
    line: int | None = None
    rule_id: str | None = None
    title: str | None = None

    @property
    def where(self) -> str:
        """`path:line`, the form editors and terminals turn into a link."""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        name = f" ({self.title})" if self.title else ""
        return f"{self.where}{name}: {self.reason}"
