"""Our own rules as files: valid Sigma, unique ids, a licence, and evidence for each rule."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from soc.rules import Catalog, load_rules, validate_rules

HERE = Path(__file__).resolve().parent
OWN_RULES = HERE.parents[1] / "rules" / "soc"
SCHEMAS = HERE / "sigma_schema"


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(OWN_RULES.rglob("*.yml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found.append((f"{path.relative_to(OWN_RULES)}:{doc['title']}", doc))
    return found


def as_json(value: Any) -> Any:
    """YAML reads `date: 2026-11-22` as a date; the schema wants the ISO text."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


@pytest.mark.parametrize(("name", "doc"), documents(), ids=[n for n, _ in documents()])
def test_every_document_follows_the_sigma_schema(name: str, doc: dict[str, Any]) -> None:
    kind = "correlation-rules" if "correlation" in doc else "detection-rule"
    schema = json.loads((SCHEMAS / f"sigma-{kind}-schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(as_json(doc), schema)
    assert doc["license"] == "Apache-2.0"
    assert uuid.UUID(doc["id"]).version == 4


def test_ids_and_names_are_unique() -> None:
    docs = [doc for _, doc in documents()]
    ids = [doc["id"] for doc in docs]
    names = [doc["name"] for doc in docs if "name" in doc]
    assert len(ids) == len(set(ids))
    assert len(names) == len(set(names))


def test_pysigma_validators_find_nothing() -> None:
    assert validate_rules(load_rules([OWN_RULES])) == []


def test_every_alerting_rule_has_sample_events(shipped: Catalog) -> None:
    evidence = "".join(p.read_text(encoding="utf-8") for p in HERE.glob("test_*.py"))
    own = [rule for rule in shipped.compiled if rule.source.startswith(str(OWN_RULES))]
    assert len(own) == 11
    assert [rule.title for rule in own if rule.id not in evidence] == []
