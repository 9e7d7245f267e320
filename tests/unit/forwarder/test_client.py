"""The HTTPS client against the real ingest API: TLS verified, token bound, errors sorted."""

from __future__ import annotations

import orjson
import pytest
from province_harness import Province

from collectors.forwarder.client import (
    AuthError,
    IngestClient,
    RefusedError,
    TooLargeError,
    TransientError,
    read_reply,
)
from soc.errors import ConfigError


def _line(**doc) -> bytes:
    return orjson.dumps(doc)


def test_a_batch_is_acknowledged_and_bound_to_the_site_agency(province: Province) -> None:
    client = IngestClient(province.url, province.site_token, ca_file=str(province.pki.ca))
    body = b"\n".join(
        [
            _line(event={"id": "ev-1"}, message="a", organization={"id": "so-tc"}),
            b"{broken",
            _line(event={"id": "ev-2"}, message="b", related={"organization_ids": ["so-tc"]}),
        ]
    )
    reply = client.send(body, health={"spool_batches": 3, "spool_bytes": 1234, "dead_letters": 0})
    assert reply.accepted == 2
    assert [r["line"] for r in reply.rejected] == [2]
    stored = province.services.events.get("ev-1")
    assert stored["organization"] == {"id": "so-yte", "name": "Sở Y tế"}  # never the body's
    assert stored["agent"] == {"type": "soc-collect", "name": "yte-hq"}
    assert "organization_ids" not in province.services.events.get("ev-2").get("related", {})
    [site] = [s for s in province.services.sources.snapshot() if s.kind == "site"]
    assert site.key == "yte-hq" and site.agency_id == "so-yte"
    assert site.counters["events"] == 2
    assert site.info["spool_batches"] == "3"
    # The connection is kept and reused; a heartbeat is an empty batch.
    assert client.send(b"").accepted == 0
    client.close()


def test_tls_is_verified_unless_explicitly_turned_off(province: Province) -> None:
    untrusted = IngestClient(province.url, province.site_token)  # the system CAs only
    with pytest.raises(TransientError, match="not trusted"):
        untrusted.send(b"")
    insecure = IngestClient(province.url, province.site_token, insecure=True)
    assert insecure.send(b"").accepted == 0
    with pytest.raises(ConfigError, match="clear"):
        IngestClient(f"http://127.0.0.1:{province.port}", province.site_token)
    with pytest.raises(ConfigError):
        IngestClient("ftp://127.0.0.1", province.site_token)


def test_refusals_are_sorted(province: Province) -> None:
    ca = str(province.pki.ca)
    revoked = province.services.cases.sites.create(None, "old", "Old", "so-tc").token
    province.services.cases.sites.revoke(None, "old")
    with pytest.raises(AuthError):
        IngestClient(province.url, revoked, ca_file=ca).send(b"")
    with pytest.raises(AuthError):
        IngestClient(province.url, "socsite_guess", ca_file=ca).send(b"")
    province.stop()
    with pytest.raises(TransientError, match="cannot reach"):
        IngestClient(province.url, province.site_token, ca_file=ca).send(b"")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthError),
        (403, AuthError),
        (413, TooLargeError),
        (408, TransientError),
        (429, TransientError),
        (502, TransientError),
        (503, TransientError),
        (400, RefusedError),
        (415, RefusedError),
    ],
)
def test_status_codes_say_what_to_do(status: int, error: type) -> None:
    with pytest.raises(error):
        read_reply(status, b'{"error": "x"}', "https://province")
    assert read_reply(200, b'{"accepted": 2, "rejected": []}', "x").accepted == 2
    with pytest.raises(TransientError, match="unexpected answer"):
        read_reply(200, b"<html>proxy login</html>", "https://province")
