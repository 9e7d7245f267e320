"""One service shared by the detection thread and the web threads, on one SQLite file."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from soc.cases import CaseService


def test_concurrent_writers_all_succeed(service: CaseService, people, make_alert) -> None:
    service.add_alerts([make_alert("seed")])
    case_id = service.get_alert(people.analyst, "seed").case_id
    assert case_id is not None

    def detect(batch: int) -> int:
        alerts = [make_alert(f"d{batch}-{i}", entity=f"10.9.{batch}.{i}") for i in range(10)]
        return service.add_alerts(alerts)

    def comment(n: int) -> int:
        service.add_comment(people.analyst, case_id, f"note {n}")
        service.list_cases(people.analyst)
        return 1

    with ThreadPoolExecutor(max_workers=6) as pool:
        detected = [pool.submit(detect, b) for b in range(10)]
        commented = [pool.submit(comment, n) for n in range(30)]
        assert sum(f.result() for f in detected) == 100
        assert sum(f.result() for f in commented) == 30

    assert service.counts() == {"alerts": 101, "cases": 101}
    assert len(service.list_comments(people.analyst, case_id)) == 30
