"""Style and consistency checks on loaded rules, with pySigma's own validators.

These are findings for rule authors (`soc rules check`, the tests of our shipped rules), not
reasons to quarantine a rule: a rule with a duplicated tag still detects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

from sigma.plugins import InstalledSigmaPlugins
from sigma.validation import SigmaValidator
from sigma.validators.base import SigmaValidationIssue

from soc.rules.loader import RuleSet, problem_for
from soc.rules.problems import RuleProblem

NEEDS_DOWNLOAD = frozenset({"attacktag", "d3_fendtag"})
"""Validators that fetch MITRE data at run time: off, the platform runs air-gapped."""

_MAX_DETAIL = 80


def validate_rules(ruleset: RuleSet, *, skip: Iterable[str] = NEEDS_DOWNLOAD) -> list[RuleProblem]:
    """Every finding of pySigma's validators (except `skip`), one problem per rule concerned."""
    skipped = set(skip)
    available = InstalledSigmaPlugins.autodiscover().validators
    validator = SigmaValidator([v for name, v in available.items() if name not in skipped])
    return [
        problem_for(rule, _reason(issue), "validate")
        for issue in validator.validate_rules(iter(ruleset.rules))
        for rule in issue.rules
    ]


def _reason(issue: SigmaValidationIssue) -> str:
    """Description plus the issue's short details (a tag, a file name; not whole detections)."""
    extra = [
        f"{f.name}={text}"
        for f in fields(issue)
        if f.name not in ("rules", "severity", "description")
        and len(text := str(getattr(issue, f.name))) <= _MAX_DETAIL
    ]
    text = f"{issue.severity.name.lower()}: {issue.description}"
    return f"{text} ({', '.join(extra)})" if extra else text
