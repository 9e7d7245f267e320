"""Tag each event with the agency that owns its source or destination address.

Longest prefix wins, so a district office's /26 inside the provincial /16 is attributed to the
district. An event between two agencies keeps the source's agency as `organization.*` and lists
both in `related.organization_ids` (not an ECS field; ours), so either agency sees it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from soc.model.agency import Agency
from soc.model.event import Event, get_field

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AgencyTagger:
    def __init__(self, agencies: Iterable[Agency]) -> None:
        table: list[tuple[_Network, Agency]] = []
        for agency in agencies:
            for cidr in agency.cidrs:
                table.append((ipaddress.ip_network(cidr, strict=False), agency))
        # Longest prefix first: the first hit is the most specific network.
        table.sort(key=lambda item: item[0].prefixlen, reverse=True)
        self._table = table
        self._cache: dict[str, Agency | None] = {}

    def lookup(self, ip: str | list[str] | None) -> Agency | None:
        if isinstance(ip, list):
            ip = ip[0] if ip else None
        if not ip or not isinstance(ip, str):
            return None
        if ip in self._cache:
            return self._cache[ip]
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            found = None
        else:
            found = next((a for net, a in self._table if address in net), None)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[ip] = found
        return found

    def tag(self, event: Event) -> Event:
        """Set `organization.*` unless the event already carries an agency (remote sites)."""
        if get_field(event, "organization.id"):
            return event
        found = [
            a
            for a in (
                self.lookup(get_field(event, "source.ip")),
                self.lookup(get_field(event, "destination.ip")),
                self.lookup(get_field(event, "observer.ip")),
                self.lookup(get_field(event, "host.ip")),
            )
            if a is not None
        ]
        if not found:
            return event
        owner = found[0]
        event["organization"] = {"id": owner.id, "name": owner.name}
        ids = sorted({a.id for a in found})
        if len(ids) > 1:
            event.setdefault("related", {})["organization_ids"] = ids
        return event
