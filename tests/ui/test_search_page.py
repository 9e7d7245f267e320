"""The event search page: Lucene queries, time ranges, paging, errors shown in place."""

from __future__ import annotations

from soc.model.event import stamp


def test_query_narrows_results_and_shows_the_total(as_user) -> None:
    page = as_user("analyst").get("/search?q=user.name:ketoan").get_data(as_text=True)
    assert "198.51.100.9" in page and "203.0.113.7" not in page
    assert "1 kết quả" in page
    assert '<pre class="json">' in page  # the whole document, expandable


def test_bad_query_shows_the_parser_message(as_user) -> None:
    response = as_user("analyst").get("/search?q=source.ip:(unbalanced")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "cannot parse query" in page
    assert 'value="source.ip:(unbalanced"' in page  # the query stays in the box to fix


def test_time_range_is_read_and_shown_in_the_display_zone(as_user) -> None:
    # The event happened at 08:00 UTC: 15:00 in Asia/Ho_Chi_Minh, the default `ui.timezone`.
    analyst = as_user("analyst")
    inside = analyst.get("/search?from=2026-03-02T14:59&to=2026-03-02T15:01").get_data(as_text=True)
    assert "203.0.113.7" in inside and "2026-03-02 15:00:00" in inside
    assert "Asia/Ho_Chi_Minh (UTC+07:00)" in inside
    utc_window = analyst.get("/search?from=2026-03-02T07:59&to=2026-03-02T08:01")
    assert "203.0.113.7" not in utc_window.get_data(as_text=True)
    explicit = analyst.get("/search?from=2026-03-02T07:59Z&to=2026-03-02T08:01Z")
    assert "203.0.113.7" in explicit.get_data(as_text=True)
    after = analyst.get("/search?from=2026-03-02T15:00:01").get_data(as_text=True)
    assert "203.0.113.7" not in after and "0 kết quả" in after
    bad = analyst.get("/search?from=yesterday")
    assert bad.status_code == 400
    assert "Từ không phải ngày giờ hợp lệ" in bad.get_data(as_text=True)


def test_agency_filter_for_province_staff(as_user) -> None:
    page = as_user("analyst").get("/search?agency=so-b").get_data(as_text=True)
    assert "198.51.100.9" in page and "203.0.113.7" not in page


def test_results_page(platform, as_user) -> None:
    platform.services.events.write_batch(
        [
            stamp(
                {
                    "@timestamp": f"2026-03-01T00:{i:02d}:00Z",
                    "organization": {"id": "so-a"},
                    "message": f"paged-{i:02d}",
                },
                dataset="syslog",
            )
            for i in range(55)
        ]
    )
    analyst = as_user("analyst")
    first = analyst.get("/search?q=paged*").get_data(as_text=True)
    second = analyst.get("/search?q=paged*&page=2").get_data(as_text=True)
    assert "55 kết quả" in first and "trang 1/2" in first
    assert first.count('<tbody class="event">') == 50
    assert second.count('<tbody class="event">') == 5
    assert "paged-54" in first and "paged-00" in second  # newest first


def test_alert_page_shows_its_events(platform, as_user) -> None:
    page = as_user("admin-a").get(f"/alerts/{platform.alert_a}").get_data(as_text=True)
    assert "Failed password for root from 203.0.113.7" in page


def test_the_total_reads_right_in_english(as_user) -> None:
    analyst = as_user("analyst")
    analyst.post("/language", {"lang": "en", "next": "/search"})
    page = analyst.get("/search?q=user.name:ketoan").get_data(as_text=True)
    assert "1 result " in page and "1 results" not in page
    assert "0 results" in analyst.get("/search?q=user.name:nobody").get_data(as_text=True)
