"""The server's compiled rules are remembered (`soc.rules.cache`): a restart, or `soc rules
retro` with the server stopped, reads them back instead of compiling for 10-20 s; an edited
rule compiles afresh; old entries do not pile up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from soc import services as services_module
from soc.config import load_settings
from soc.rules import cache
from soc.services import build_services

ROOT = Path(__file__).resolve().parents[3]


def _compiled_sql() -> dict[str, str]:
    services = build_services(load_settings())
    try:
        assert services.catalog is not None
        return {rule.id: rule.sql for rule in services.catalog.compiled}
    finally:
        services.close()


def test_the_server_reads_its_compiled_rules_back_until_one_is_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules" / "soc", rules)
    monkeypatch.setenv("SOC_STORAGE__DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOC_DETECTION__RULES_DIRS", str(rules))
    monkeypatch.setenv("SOC_ENRICH__GEOIP_ENABLED", "false")
    first = _compiled_sql()
    assert first
    entries = list((tmp_path / "var" / "cache" / "rules").glob("live-*.pickle"))
    assert len(entries) == 1

    def no_compiling(*_: object, **__: object) -> None:
        raise AssertionError("the rules were compiled again")

    with monkeypatch.context() as patch:
        patch.setattr(services_module, "compile_rules", no_compiling)
        assert _compiled_sql() == first

    edited = next(rules.rglob("*.yml"))
    edited.write_text(edited.read_text().replace("level: ", "level:  ", 1))
    with monkeypatch.context() as patch:
        patch.setattr(services_module, "compile_rules", no_compiling)
        with pytest.raises(AssertionError, match="compiled again"):
            _compiled_sql()
    assert _compiled_sql() == first  # the same rules, compiled and remembered anew


def test_each_kind_keeps_its_newest_entries_and_a_damaged_one_is_built_again(
    tmp_path: Path,
) -> None:
    built: list[str] = []

    def build(salt: str) -> list[str]:
        built.append(salt)
        return [salt]

    for n in range(cache.KEEP + 2):
        salt = f"v{n}"
        assert cache.remembered(tmp_path, "live", (), salt, lambda s=salt: build(s), list) == [salt]
    assert cache.remembered(tmp_path, "hunt", (), "v0", lambda: build("hunt"), list) == ["hunt"]
    assert len(list(tmp_path.glob("live-*.pickle"))) == cache.KEEP
    assert len(list(tmp_path.glob("hunt-*.pickle"))) == 1

    newest = f"v{cache.KEEP + 1}"
    assert cache.remembered(tmp_path, "live", (), newest, lambda: build("again"), list) == [newest]
    assert "again" not in built
    for entry in tmp_path.glob("live-*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert cache.remembered(tmp_path, "live", (), newest, lambda: build("again"), list) == ["again"]
    assert not list(tmp_path.glob("*.tmp"))
