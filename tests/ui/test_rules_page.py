"""The rules page lists every quarantined or failing rule with its reason."""

from __future__ import annotations

from datetime import UTC, datetime

from soc.rules.compiler import Catalog, CompiledRule
from soc.rules.problems import RuleProblem


def _catalog() -> Catalog:
    def rule(rule_id: str, title: str) -> CompiledRule:
        return CompiledRule(
            id=rule_id,
            title=title,
            level="high",
            tags=(),
            description="",
            kind="event",
            sql="SELECT 1",
            source=f"rules/own/{rule_id}.yml:1",
            entity_fields=("source.ip",),
        )

    return Catalog(
        compiled=[rule("ssh-brute", "SSH brute force"), rule("web-shell", "Web shell upload")],
        errors=[
            RuleProblem(
                path="rules/own/broken.yml",
                line=7,
                reason="unknown modifier 'contain'",
                stage="compile",
                title="Broken rule",
            )
        ],
    )


def test_province_staff_see_rules_problems_and_run_failures(platform, as_user) -> None:
    platform.services.catalog = _catalog()
    cases = platform.services.cases
    now = datetime.now(UTC)
    cases.set_checkpoint("ssh-brute", now, matches=4)
    cases.set_checkpoint("web-shell", now, matches=0, error="Binder Error: column not found")
    page = as_user("analyst").get("/rules/").get_data(as_text=True)
    assert "SSH brute force" in page and "Web shell upload" in page
    assert "rules/own/broken.yml:7" in page
    assert "unknown modifier &#39;contain&#39;" in page
    assert "Binder Error: column not found" in page


def test_page_says_when_detection_is_off(platform, as_user) -> None:
    page = as_user("manager").get("/rules/").get_data(as_text=True)
    assert "Tiến trình này không chạy phát hiện." in page


def test_agency_admins_cannot_see_rules(platform, as_user) -> None:
    platform.services.catalog = _catalog()
    admin_a = as_user("admin-a")
    assert admin_a.get("/rules/").status_code == 403
    assert "/rules/" not in admin_a.get("/").get_data(as_text=True)
