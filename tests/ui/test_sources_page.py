"""The sources page: exporter health for province staff, only their own for an agency admin."""

from __future__ import annotations

from pathlib import Path

from ui.views.sources import udp_counters


def _register(platform) -> None:
    sources = platform.services.sources
    sources.touch("netflow", "10.1.0.1", agency_id="so-a", packets=10, flows=300, sequence_gaps=2)
    sources.set_info("netflow", "10.1.0.1", version="NetFlow v9", templates=4, sets_waiting=1)
    sources.set_info("netflow", "10.1.0.1", sets_dropped=3, sampling="1:100")
    sources.touch("netflow", "10.2.0.1", agency_id="so-b", packets=5, flows=70, decode_errors=1)
    sources.set_info("netflow", "10.2.0.1", version="IPFIX")
    sources.touch("syslog", "10.1.5.5", agency_id="so-a", messages=12)


def test_province_staff_see_every_exporter_and_the_kernel_counters(platform, as_user) -> None:
    _register(platform)
    page = as_user("analyst").get("/sources/").get_data(as_text=True)
    assert "10.1.0.1" in page and "10.2.0.1" in page
    assert "NetFlow v9" in page and "IPFIX" in page and "1:100" in page
    assert "Thiết bị xuất NetFlow và IPFIX" in page  # Vietnamese by default
    assert "Tràn bộ đệm nhận UDP (toàn máy chủ)" in page
    assert "messages=12" in page


def test_an_agency_admin_sees_only_their_agencys_sources(platform, as_user) -> None:
    _register(platform)
    response = as_user("admin-a").get("/sources/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "10.1.0.1" in page
    assert "10.2.0.1" not in page
    assert "toàn máy chủ" not in page  # host-wide counters are the province's business


def test_the_page_says_when_no_exporter_has_sent_anything(platform, as_user) -> None:
    page = as_user("admin").get("/sources/").get_data(as_text=True)
    assert "Chưa có thiết bị NetFlow nào gửi dữ liệu" in page


def test_the_navigation_links_to_the_page(platform, as_user) -> None:
    page = as_user("admin-b").get("/").get_data(as_text=True)
    assert 'href="/sources/"' in page


def test_udp_counters_from_proc_and_from_a_file(tmp_path: Path) -> None:
    live = udp_counters()
    assert live is not None and live["InDatagrams"] >= 0 and "RcvbufErrors" in live
    snmp = tmp_path / "snmp"
    snmp.write_text(
        "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
        "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n"
        "Udp: 1000 3 7 900 5 0\n"
    )
    assert udp_counters(snmp) == {"InDatagrams": 1000, "RcvbufErrors": 5, "InErrors": 7}
    assert udp_counters(tmp_path / "missing") is None
