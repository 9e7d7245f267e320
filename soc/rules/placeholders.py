"""Values of Sigma placeholders (`field|expand: '%Administrators%'`), global and per agency.

A placeholder stands for a list that only the province knows: its administrators, its jump
servers, each agency's domain controllers. The lists live in `placeholders.yml` at the root of a
rules folder:

```yaml
placeholders:            # every agency
  Administrators: [Administrator, 'adm_*']
agencies:                # added for the events of one agency (organization.id)
  so-yte:
    Administrators: [yte-admin]
    DomainControllers: ['dc01-yte', 'dc02-yte']
```

Values are Sigma strings (wildcards and escapes as in rules). An event of agency X matches the
global values and X's own; other agencies' lists never apply to it. Names compare without case
(SigmaHQ writes both `%Workstations%` and `%workstations%`). A placeholder no list defines is a
compile problem: matching it against nothing would hide the rule's intent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from sigma.exceptions import SigmaValueError
from sigma.types import Placeholder, SigmaCasedString, SigmaRegularExpression, SigmaString

from soc.errors import RuleError

PLACEHOLDERS_FILE = "placeholders.yml"

Expandable = TypeVar("Expandable", SigmaString, SigmaRegularExpression)


@dataclass(frozen=True)
class Placeholders:
    """Placeholder name (lower case) -> values, for every agency and per agency id."""

    common: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    per_agency: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: Iterable[str | Path]) -> Placeholders:
        """Merge the files in order (a later file adds values to an earlier one's lists)."""
        common: dict[str, list[str]] = {}
        per_agency: dict[str, dict[str, list[str]]] = {}
        for raw in paths:
            path = Path(raw)
            document = _read(path)
            _merge(common, _lists(document.get("placeholders"), path, "placeholders"))
            agencies = document.get("agencies") or {}
            if not isinstance(agencies, dict):
                raise RuleError("`agencies` must map agency ids to lists", where=str(path))
            for agency, lists in agencies.items():
                section = _lists(lists, path, f"agencies.{agency}")
                _merge(per_agency.setdefault(str(agency), {}), section)
        return cls(
            {name: tuple(values) for name, values in common.items()},
            {
                agency: {name: tuple(values) for name, values in lists.items()}
                for agency, lists in per_agency.items()
            },
        )

    def expand(self, value: Expandable) -> list[tuple[str | None, list[Expandable]]]:
        """The value with its placeholders replaced: `(None, values)` for every agency first,
        then `(agency, values)` for each agency whose own lists add values.

        Raises SigmaValueError for a placeholder no list defines.
        """
        names = _names(value)
        unknown = sorted(
            name
            for name in names
            if name.lower() not in self.common
            and not any(name.lower() in lists for lists in self.per_agency.values())
        )
        if unknown:
            listed = ", ".join(f"%{name}%" for name in unknown)
            raise SigmaValueError(f"unknown placeholder {listed}: define it in {PLACEHOLDERS_FILE}")
        everyone = _replace(value, lambda name: self.common.get(name, ()))
        scopes: list[tuple[str | None, list[Expandable]]] = [(None, everyone)]
        seen = {str(v) for v in everyone}
        for agency, lists in sorted(self.per_agency.items()):
            if not any(name.lower() in lists for name in names):
                continue
            own = _replace(
                value, lambda name, own=lists: (*self.common.get(name, ()), *own.get(name, ()))
            )
            extra = [v for v in own if str(v) not in seen]
            if extra:
                scopes.append((agency, extra))
        return scopes


def _replace(value: Expandable, values_of: Any) -> list[Expandable]:
    def callback(placeholder: Placeholder) -> Iterator[SigmaString]:
        return iter([SigmaString(v) for v in values_of(placeholder.name.lower())])

    replaced = value.replace_placeholders(callback)
    if isinstance(value, SigmaCasedString):
        return [SigmaCasedString.from_sigma_string(v) for v in replaced]
    return replaced


def _names(value: SigmaString | SigmaRegularExpression) -> list[str]:
    string = value.regexp if isinstance(value, SigmaRegularExpression) else value
    return [part.name for part in string.s if isinstance(part, Placeholder)]


def _read(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleError(f"cannot read placeholder values: {exc}", where=str(path)) from exc
    if not isinstance(document, dict):
        raise RuleError("placeholder values must be a YAML mapping", where=str(path))
    unknown = set(document) - {"placeholders", "agencies"}
    if unknown:
        raise RuleError(f"unknown sections: {', '.join(sorted(unknown))}", where=str(path))
    return document


def _lists(section: Any, path: Path, label: str) -> dict[str, list[str]]:
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise RuleError(f"{label} must map placeholder names to lists", where=str(path))
    lists = {}
    for name, values in section.items():
        items = values if isinstance(values, list) else [values]
        if any(v is None or isinstance(v, dict | list) for v in items):
            raise RuleError(f"{label}.{name}: values must be strings or numbers", where=str(path))
        lists[str(name).strip("%").lower()] = [str(v) for v in items]
    return lists


def _merge(into: dict[str, list[str]], lists: Mapping[str, list[str]]) -> None:
    for name, values in lists.items():
        into.setdefault(name, []).extend(values)
