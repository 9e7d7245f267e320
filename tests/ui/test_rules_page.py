"""The rules page: every rule with its state, filters and paging, the rule's own page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from soc.rules.compiler import Catalog, CompiledRule
from soc.rules.problems import RuleProblem


def compiled(rule_id: str, title: str, *, source: str = "", **extra) -> CompiledRule:
    values = {
        "id": rule_id,
        "title": title,
        "level": "high",
        "tags": ("attack.credential-access", "attack.t1110"),
        "description": "",
        "kind": "event",
        "sql": "SELECT 1 AS rule_marker_sql",
        "source": source or f"rules/own/{rule_id}.yml:1",
        "entity_fields": ("source.ip",),
        **extra,
    }
    return CompiledRule(**values)


def _catalog() -> Catalog:
    return Catalog(
        compiled=[
            compiled("ssh-brute", "SSH brute force"),
            compiled("web-shell", "Web shell upload", level="critical", tags=("attack.t1505.003",)),
        ],
        errors=[
            RuleProblem(
                path="rules/own/broken.yml",
                line=7,
                reason="unknown modifier 'contain'",
                stage="compile",
                rule_id="broken-rule",
                title="Broken rule",
            ),
            RuleProblem(
                path="rules/own/style.yml",
                line=1,
                reason="missing author",
                stage="validate",
                title="Only a style finding",
            ),
        ],
    )


def _titles(page: str) -> list[str]:
    return [t for t in ("SSH brute force", "Web shell upload", "Broken rule") if t in page]


def test_province_staff_see_rules_problems_and_run_failures(platform, as_user) -> None:
    platform.services.catalog = _catalog()
    cases = platform.services.cases
    now = datetime.now(UTC)
    cases.set_checkpoint("ssh-brute", now, matches=4)
    cases.set_checkpoint("web-shell", now, matches=0, error="Binder Error: column not found")
    page = as_user("analyst").get("/rules/").get_data(as_text=True)
    assert _titles(page) == ["SSH brute force", "Web shell upload", "Broken rule"]
    assert "rules/own/broken.yml:7" in page
    assert "unknown modifier &#39;contain&#39;" in page
    assert "Binder Error: column not found" in page
    assert "Only a style finding" not in page  # a style finding is not a broken rule
    assert "t1110" in page and "t1505.003" in page  # ATT&CK tags


def test_filters_by_text_level_and_status(platform, as_user) -> None:
    platform.services.catalog = _catalog()
    cases = platform.services.cases
    cases.set_checkpoint("web-shell", datetime.now(UTC), matches=0, error="boom")
    cases.set_rule_enabled(platform.people["analyst"], "ssh-brute", False)
    manager = as_user("manager")

    def titles(query: str) -> list[str]:
        return _titles(manager.get(f"/rules/?{query}").get_data(as_text=True))

    assert titles("q=T1110") == ["SSH brute force"]  # tags, ignoring case
    assert titles("q=web-shell") == ["Web shell upload"]  # ids
    assert titles("q=broken.yml") == ["Broken rule"]  # files
    assert titles("level=critical") == ["Web shell upload"]
    assert titles("status=disabled") == ["SSH brute force"]
    assert titles("status=enabled") == ["Web shell upload"]
    assert titles("status=failing") == ["Web shell upload"]
    assert titles("status=not_compiled") == ["Broken rule"]
    assert titles("status=bogus&level=bogus") == [
        "SSH brute force",
        "Web shell upload",
        "Broken rule",
    ]


def test_many_rules_are_paged(platform, as_user) -> None:
    platform.services.catalog = Catalog(
        compiled=[compiled(f"rule-{i:03d}", f"Rule number {i:03d}") for i in range(120)]
    )
    analyst = as_user("analyst")
    first = analyst.get("/rules/").get_data(as_text=True)
    assert "Rule number 000" in first and "Rule number 049" in first
    assert "Rule number 050" not in first
    assert "120 kết quả" in first
    third = analyst.get("/rules/?page=3").get_data(as_text=True)
    assert "Rule number 100" in third and "Rule number 119" in third
    assert "Rule number 099" not in third


def test_the_rule_page_shows_source_sql_alerts_and_history(platform, as_user, tmp_path) -> None:
    rule_file = tmp_path / "ssh.yml"
    rule_file.write_text(
        "title: Other rule\nid: other\n---\ntitle: SSH brute force\nid: ssh-brute\n"
        "description: '<script>alert(1)</script>'\n---\ntitle: Third\n",
        encoding="utf-8",
    )
    platform.services.catalog = Catalog(
        compiled=[compiled("ssh-brute", "SSH brute force", source=f"{rule_file}:4")]
    )
    analyst = as_user("analyst")
    analyst.post("/rules/ssh-brute/enabled", {"enabled": "0", "reason": "too noisy"})
    page = analyst.get("/rules/ssh-brute").get_data(as_text=True)
    assert "title: SSH brute force" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "title: Other rule" not in page and "title: Third" not in page  # only its document
    assert "rule_marker_sql" in page
    # The conftest's alerts are of rule "ssh-brute": one per agency, both visible to the SOC.
    assert "203.0.113.7" in page and "198.51.100.9" in page
    assert "đã tắt luật" in page and "too noisy" in page  # the history, in Vietnamese


def test_a_rule_page_for_a_rule_that_did_not_compile(platform, as_user) -> None:
    platform.services.catalog = _catalog()
    page = as_user("analyst").get("/rules/broken-rule")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "unknown modifier &#39;contain&#39;" in text
    assert "Không đọc được tệp luật." in text  # the file does not exist here
    assert 'action="/rules/broken-rule/enabled"' not in text  # nothing to switch
    assert as_user("analyst").get("/rules/no-such-rule").status_code == 404


def test_page_says_when_detection_is_off(platform, as_user) -> None:
    page = as_user("manager").get("/rules/").get_data(as_text=True)
    assert "Tiến trình này không chạy phát hiện." in page


def test_agency_admins_cannot_see_rules(platform, as_user) -> None:
    platform.services.catalog = _catalog()
    admin_a = as_user("admin-a")
    assert admin_a.get("/rules/").status_code == 403
    assert admin_a.get("/rules/ssh-brute").status_code == 403
    assert "/rules/" not in admin_a.get("/").get_data(as_text=True)


def test_managers_read_without_controls(platform, as_user) -> None:
    platform.services.catalog = _catalog()
    page = as_user("manager").get("/rules/ssh-brute").get_data(as_text=True)
    assert "SSH brute force" in page
    assert "/rules/ssh-brute/enabled" not in page and "/rules/retro" not in page
    listing = as_user("manager").get("/rules/").get_data(as_text=True)
    assert "/enabled" not in listing and 'name="rule_ids"' not in listing


def test_rule_files_are_read_only_as_the_catalog_says(tmp_path: Path) -> None:
    from ui.views.rule_listing import yaml_document

    rule_file = tmp_path / "one.yml"
    rule_file.write_text("title: One\nid: one\n", encoding="utf-8")
    assert yaml_document(f"{rule_file}:1") == "title: One\nid: one\n"
    assert yaml_document(str(rule_file)) == "title: One\nid: one\n"
    assert yaml_document(f"{tmp_path / 'gone.yml'}:3") is None
    assert yaml_document("<unknown>") is None


def test_rule_codes_have_words_in_both_languages() -> None:
    from ui.translations.en import VOCABULARY
    from ui.translations.vi import MESSAGES
    from ui.views.rule_listing import STATUSES

    codes = [
        *(f"rule_status:{status}" for status in STATUSES),
        *(f"retro_state:{state}" for state in ("queued", "running", "done", "failed")),
        *(f"audit:rule.{action}" for action in ("enabled", "disabled", "retried", "retro_hunt")),
    ]
    assert [code for code in codes if code not in MESSAGES or code not in VOCABULARY] == []


def test_rules_below_the_live_minimum_level_are_marked_hunt_only(platform, as_user) -> None:
    assert platform.services.settings.detection.min_level == "medium"
    platform.services.catalog = Catalog(
        compiled=[
            compiled("ssh-brute", "SSH brute force"),
            compiled("web-shell", "Web shell upload", level="low"),
        ]
    )
    analyst = as_user("analyst")
    page = analyst.get("/rules/").get_data(as_text=True)
    assert "Chỉ dùng khi săn tìm" in page  # the tile, the filter and the badge
    assert page.count('class="badge rule-hunt_only"') == 1  # the low rule only
    only = analyst.get("/rules/?status=hunt_only").get_data(as_text=True)
    assert _titles(only) == ["Web shell upload"]
