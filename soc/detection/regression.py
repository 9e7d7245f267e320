"""SigmaHQ's regression tests run through our offline hunt (`soc rules regression`).

Running SigmaHQ's samples (`soc.detection.regression_layout` finds them) through the same
compiler, Windows mapping and hunt as `soc hunt` shows where our detection misses what SigmaHQ
expects: a field our pipelines map differently, an event our readers shape differently, a
modifier with another meaning.

The `pipelines` and `filters` a JSON test lists are for SigmaHQ's own checker (its golang_expr
conversion of the raw sample) and are ignored: our Windows pipelines apply, as in production.

All the rules compile once and one hunt reads every sample; a match counts for a test when it
is that test's rule and its event came from that test's sample file. A rule's test is thus
judged on exactly the events that sample holds, as a hunt of that rule over that one file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from soc.detection.hunt import load_hunt_rules, run_hunt
from soc.detection.regression_layout import SAMPLE_FORMATS, RegressionTest, Verdict
from soc.model.event import Event, get_field

VERDICTS: tuple[Verdict, ...] = ("PASS", "FAIL", "WARN", "MISSING", "SKIP")

ReadSamples = Callable[[Sequence[tuple[Path, str]]], Iterable[Event]]
"""Reads (sample file, reader format) pairs into stamped events carrying `log.file.path`; the
command hands in `collectors.files.read_events`, which `soc.detection` may not import."""


@dataclass(frozen=True)
class TestOutcome:
    """A test and how our hunt did on it."""

    test: RegressionTest
    verdict: Verdict
    matches: int | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        test = {
            key: str(value) if isinstance(value, Path) else value
            for key, value in asdict(self.test).items()
            if key != "problem"  # it is the verdict and reason
        }
        return {"verdict": self.verdict, "matches": self.matches, "reason": self.reason, **test}


def run_tests(
    tests: Sequence[RegressionTest],
    read_samples: ReadSamples,
    *,
    pipelines: Sequence[str | Path] | None = None,
    fallback_pipelines: Sequence[str | Path] = (),
    cache_dir: str | Path | None = None,
) -> list[TestOutcome]:
    """Compile the tests' rules (pipelines as `soc hunt` picks them), hunt over every sample
    that exists, and judge each test on its own rule and sample."""
    runnable = [
        t
        for t in tests
        if t.problem is None and t.rule_path and t.sample is not None and t.sample.is_file()
    ]
    rule_paths = list(dict.fromkeys(t.rule_path for t in runnable if t.rule_path))
    counts: Counter[tuple[str, str]] = Counter()
    skipped: dict[str, str] = {}
    compiled: set[str] = set()
    if rule_paths:
        rules = load_hunt_rules(
            rule_paths, pipelines, fallback_pipelines=fallback_pipelines, cache_dir=cache_dir
        )
        samples = list(dict.fromkeys((t.sample, SAMPLE_FORMATS[t.type]) for t in runnable))
        with run_hunt(rules, read_samples(samples)) as result:
            compiled = set(result.summary.rules)
            for rule in result.summary.skipped:
                skipped.setdefault(rule.rule_id or _path_of(rule.source), rule.reason)
            for match in result.matches():
                files = {str(get_field(event, "log.file.path")) for event in match.events}
                if len(files) == 1:  # a correlation across samples belongs to none of them
                    counts[(match.rule.id, files.pop())] += 1
    return [_judge(t, counts, compiled, skipped) for t in tests]


def _judge(
    test: RegressionTest,
    counts: Counter[tuple[str, str]],
    compiled: set[str],
    skipped: dict[str, str],
) -> TestOutcome:
    if test.problem is not None:
        verdict, reason = test.problem
        return TestOutcome(test, verdict, None, reason)
    if test.sample is None or not test.sample.is_file():
        return TestOutcome(test, "MISSING", None, f"no sample file {test.sample}")
    rule_id = test.rule_id or ""
    path = str(test.rule_path.resolve()) if test.rule_path else ""
    reason = skipped.get(rule_id) or skipped.get(path)
    if reason is not None or rule_id not in compiled:  # did not load, compile or run
        return TestOutcome(test, "SKIP", None, reason or "the rule did not compile")
    found = counts[(rule_id, str(test.sample))]
    wanted = 1 if test.expected is None else test.expected
    expected = f"at least {wanted}" if test.expected is None else str(wanted)
    # SigmaHQ's negative tests (match_count 0) hold events the rule must not match: any match
    # is the false positive the test exists for, not a surplus.
    if found < wanted or (wanted == 0 and found > 0):
        return TestOutcome(test, "FAIL", found, f"expected {expected}, got {found}")
    if test.expected is not None and found > wanted:
        return TestOutcome(test, "WARN", found, f"expected {expected}, got {found}")
    return TestOutcome(test, "PASS", found, f"expected {expected}, got {found}")


def tally(outcomes: Iterable[TestOutcome]) -> dict[Verdict, int]:
    """How many tests got each verdict (every verdict present, zero included)."""
    counts = Counter(o.verdict for o in outcomes)
    return {verdict: counts[verdict] for verdict in VERDICTS}


def _path_of(source: str) -> str:
    """`path:line` as hunt summaries give a rule's source, back to the resolved path."""
    path, _, line = source.rpartition(":")
    return str(Path(path if path and line.isdigit() else source).resolve())
