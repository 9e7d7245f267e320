"""SigmaHQ's regression tests run through our offline hunt (`soc rules regression`).

A SigmaHQ checkout ships, for many rules, event samples the rule must match: the rule's
`regression_tests_path` names an `info.yml` whose `regression_tests_info` lists tests (`type`
evtx, json, ndjson or jsonl; `path` to the sample, relative to the checkout; `match_count`,
where fewer matches fail and more only warn; no count means at least one). Running them through
the same compiler, Windows mapping and hunt as `soc hunt` shows where our detection misses what
SigmaHQ expects: a field our pipelines map differently, an event our readers shape differently,
a modifier with another meaning.

The `pipelines` and `filters` a JSON test lists are for SigmaHQ's own checker (its golang_expr
conversion of the raw sample) and are ignored: our Windows pipelines apply, as in production.

All the rules compile once and one hunt reads every sample; a match counts for a test when it
is that test's rule and its event came from that test's sample file. A rule's test is thus
judged on exactly the events that sample holds, as a hunt of that rule over that one file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from soc.detection.hunt import RULE_FILE_SUFFIXES, load_hunt_rules, run_hunt
from soc.model.event import Event, get_field

Verdict = Literal["PASS", "FAIL", "WARN", "MISSING", "SKIP"]
VERDICTS: tuple[Verdict, ...] = ("PASS", "FAIL", "WARN", "MISSING", "SKIP")

SAMPLE_FORMATS = {"evtx": "evtx", "json": "json", "ndjson": "ndjson", "jsonl": "ndjson"}
"""Test `type` -> our file reader's format."""

DEFAULT_RULE_DIRS = (
    "rules",
    "rules-emerging-threats",
    "rules-threat-hunting",
    "rules-placeholder",
    "rules-compliance",
    "rules-dfir",
)
"""The folders of a SigmaHQ checkout that hold rules (those absent are passed over)."""

ReadSamples = Callable[[Sequence[tuple[Path, str]]], Iterable[Event]]
"""Reads (sample file, reader format) pairs into stamped events carrying `log.file.path`; the
command hands in `collectors.files.read_events`, which `soc.detection` may not import."""


@dataclass(frozen=True)
class RegressionTest:
    """One entry of a rule's `regression_tests_info`, with paths resolved."""

    rule_path: Path
    rule_id: str | None
    title: str | None
    name: str
    type: str
    sample: Path | None  # None: the info.yml itself is missing or unreadable
    expected: int | None  # None: at least one match
    problem: tuple[Verdict, str] | None = None  # cannot run (MISSING or SKIP), and why


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
        }
        return {"verdict": self.verdict, "matches": self.matches, "reason": self.reason, **test}


def find_tests(root: Path, rule_dirs: Sequence[str | Path] = ()) -> list[RegressionTest]:
    """Every regression test of every rule under `rule_dirs` (relative to `root`, default
    `DEFAULT_RULE_DIRS`) that names a `regression_tests_path`."""
    folders = [root / d for d in rule_dirs] if rule_dirs else [root / d for d in DEFAULT_RULE_DIRS]
    tests: list[RegressionTest] = []
    for folder in folders:
        files = [folder] if folder.is_file() else sorted(folder.rglob("*"))
        for path in files:
            if path.suffix.lower() in RULE_FILE_SUFFIXES and path.is_file():
                tests.extend(_tests_of(root, path))
    return tests


def _tests_of(root: Path, rule_path: Path) -> Iterator[RegressionTest]:
    text = _read(rule_path)
    if text is None or "regression_tests_path" not in text:  # no YAML parse: 3,000 take 15 s
        return
    rule = _yaml_mapping(text)
    info_ref = rule.get("regression_tests_path") if rule else None
    if not isinstance(info_ref, str):
        return
    rule_id, title = _text(rule.get("id")), _text(rule.get("title"))
    # SigmaHQ writes it from the checkout's root; a path from the rule's folder works too.
    info_path = next(
        (p for p in (root / info_ref, rule_path.parent / info_ref) if p.is_file()), root / info_ref
    )
    info = _yaml_mapping(_read(info_path))
    entries = info.get("regression_tests_info") if info else None
    if not isinstance(entries, list):
        problem: tuple[Verdict, str] = (
            ("SKIP", f"no regression_tests_info in {info_path}")
            if info_path.is_file()
            else ("MISSING", f"no file {info_path}")
        )
        yield RegressionTest(rule_path, rule_id, title, "-", "-", None, None, problem)
        return
    for number, entry in enumerate(entries, start=1):
        entry = entry if isinstance(entry, dict) else {}
        kind = str(entry.get("type", "")).lower()
        sample = entry.get("path")
        count = entry.get("match_count")
        problem = None
        if kind not in SAMPLE_FORMATS:
            reason = f"test type {kind or '(none)'!r} is not one of {', '.join(SAMPLE_FORMATS)}"
            problem = ("SKIP", reason)
        elif not isinstance(sample, str):
            problem = ("SKIP", "the test names no sample path")
        elif count is not None and (not isinstance(count, int) or count < 0):
            problem = ("SKIP", f"match_count {count!r} is not a count")
        yield RegressionTest(
            rule_path=rule_path,
            rule_id=rule_id,
            title=title,
            name=str(entry.get("name") or f"test {number}"),
            type=kind,
            sample=(root / sample).resolve() if isinstance(sample, str) else None,
            expected=count if isinstance(count, int) else None,
            problem=problem,
        )


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
        t for t in tests if t.problem is None and t.sample is not None and t.sample.is_file()
    ]
    rule_paths = list(dict.fromkeys(t.rule_path for t in runnable))
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
    reason = skipped.get(rule_id) or skipped.get(str(test.rule_path.resolve()))
    if reason is not None or rule_id not in compiled:  # did not load, compile or run
        return TestOutcome(test, "SKIP", None, reason or "the rule did not compile")
    found = counts[(rule_id, str(test.sample))]
    wanted = 1 if test.expected is None else test.expected
    expected = f"at least {wanted}" if test.expected is None else str(wanted)
    if found < wanted:
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


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _yaml_mapping(text: str | None) -> dict[str, Any] | None:
    """The text's first YAML document when it is a mapping; None when it is not YAML."""
    if text is None:
        return None
    try:
        document = next(iter(yaml.safe_load_all(text)), None)
    except yaml.YAMLError:
        return None
    return document if isinstance(document, dict) else None


def _text(value: object) -> str | None:
    return str(value) if value is not None else None
