"""Where a SigmaHQ checkout keeps its regression tests, in either of its two layouts.

Each test is a sample file (`type` evtx, json, ndjson or jsonl; `path` relative to the
checkout) and a `match_count` (fewer matches fail, more only warn, except that a negative test,
0, fails on any match; none means at least one), listed in an `info.yml` under
`regression_data/`. Until 2026 a rule named its `info.yml` in `regression_tests_path` and the
file listed `regression_tests_info`; since then the `info.yml` lists `rules` by id and
`test_cases`, and rules name nothing. Checkouts of either age are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Any, Literal

import yaml

from soc.rules.cache import RULE_FILE_SUFFIXES

Verdict = Literal["PASS", "FAIL", "WARN", "MISSING", "SKIP"]

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

REGRESSION_DATA = "regression_data"
_RULE_ID = re.compile(r"""^id:\s*['"]?([^\s'"#]+)""", re.MULTILINE)


@dataclass(frozen=True)
class RegressionTest:
    """One test of one rule, with paths resolved."""

    rule_path: Path | None  # None: no rule under the rule folders has the id the test names
    rule_id: str | None
    title: str | None
    name: str
    type: str
    sample: Path | None
    expected: int | None  # None: at least one match
    problem: tuple[Verdict, str] | None = None  # cannot run (MISSING or SKIP), and why


def find_tests(root: Path, rule_dirs: Sequence[str | Path] = ()) -> list[RegressionTest]:
    """Every regression test of the rules under `rule_dirs` (relative to `root`; default
    `DEFAULT_RULE_DIRS`). With the default folders, a test naming a rule that none of them
    holds is MISSING; with chosen folders it is someone else's and left out."""
    rules = _rule_files(root, rule_dirs)
    tests: list[RegressionTest] = []
    claimed: set[Path] = set()  # info.yml files a rule names (the older layout)
    ids: dict[str, Path] = {}
    for path, text in rules:
        ids.update(dict.fromkeys(_RULE_ID.findall(text), path))
        if "regression_tests_path" in text:  # no YAML parse for the others: 3,000 take 15 s
            tests.extend(_named_by_rule(root, path, text, claimed))
    for info_path in sorted((root / REGRESSION_DATA).rglob("info.yml")):
        if info_path.resolve() not in claimed:
            tests.extend(_naming_rules(root, info_path, ids, report_unknown=not rule_dirs))
    return tests


def _rule_files(root: Path, rule_dirs: Sequence[str | Path]) -> list[tuple[Path, str]]:
    folders = [root / d for d in rule_dirs or DEFAULT_RULE_DIRS]
    rules = []
    for folder in folders:
        for path in [folder] if folder.is_file() else sorted(folder.rglob("*")):
            if path.suffix.lower() in RULE_FILE_SUFFIXES and (text := _read(path)) is not None:
                rules.append((path, text))
    return rules


def _named_by_rule(
    root: Path, rule_path: Path, text: str, claimed: set[Path]
) -> Iterator[RegressionTest]:
    """The older layout: the rule's `regression_tests_path` names its info.yml."""
    rule = _yaml_mapping(text)
    info_ref = rule.get("regression_tests_path") if rule else None
    if not rule or not isinstance(info_ref, str):
        return
    rule_id, title = _text(rule.get("id")), _text(rule.get("title"))
    # SigmaHQ writes it from the checkout's root; a path from the rule's folder works too.
    candidates = (root / _posix(info_ref), rule_path.parent / _posix(info_ref))
    info_path = next((p for p in candidates if p.is_file()), candidates[0])
    claimed.add(info_path.resolve())
    info = _yaml_mapping(_read(info_path))
    entries = _entries(info)
    if entries is None:
        yield RegressionTest(rule_path, rule_id, title, "-", "-", None, None, _no_tests(info_path))
        return
    yield from _tests(root, rule_path, rule_id, title, entries)


def _naming_rules(
    root: Path, info_path: Path, ids: dict[str, Path], *, report_unknown: bool
) -> Iterator[RegressionTest]:
    """The newer layout: the info.yml names its rules by id. An older info.yml whose rule does
    not name it back (a rule copied without its `regression_tests_path`) names the rule in
    `rule_metadata`, and is read the same way."""
    info = _yaml_mapping(_read(info_path))
    refs = (info.get("rules") or info.get("rule_metadata")) if info else None
    entries = _entries(info)
    if not isinstance(refs, list) or entries is None:
        return  # not a test file of this layout
    for ref in refs:
        ref = ref if isinstance(ref, dict) else {}
        rule_id, title = _text(ref.get("id")), _text(ref.get("title"))
        rule_path = ids.get(rule_id or "")
        if rule_path is not None:
            yield from _tests(root, rule_path, rule_id, title, entries)
        elif report_unknown:
            problem: tuple[Verdict, str] = ("MISSING", f"no rule with id {rule_id} ({info_path})")
            yield RegressionTest(None, rule_id, title, "-", "-", None, None, problem)


def _entries(info: dict[str, Any] | None) -> list[Any] | None:
    entries = (info.get("regression_tests_info") or info.get("test_cases")) if info else None
    return entries if isinstance(entries, list) else None


def _no_tests(info_path: Path) -> tuple[Verdict, str]:
    if info_path.is_file():
        return ("SKIP", f"no regression_tests_info or test_cases in {info_path}")
    return ("MISSING", f"no file {info_path}")


def _tests(
    root: Path, rule_path: Path, rule_id: str | None, title: str | None, entries: list[Any]
) -> Iterator[RegressionTest]:
    for number, entry in enumerate(entries, start=1):
        entry = entry if isinstance(entry, dict) else {}
        kind = str(entry.get("type", "")).lower()
        sample = entry.get("path")
        count = entry.get("match_count")
        problem: tuple[Verdict, str] | None = None
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
            sample=(root / _posix(sample)).resolve() if isinstance(sample, str) else None,
            expected=count if isinstance(count, int) else None,
            problem=problem,
        )


def _posix(path: str) -> str:
    """Some info.yml files were written on Windows (`regression_data\\rules\\...`)."""
    return PureWindowsPath(path).as_posix() if "\\" in path else path


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
