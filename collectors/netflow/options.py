"""What options records tell about an exporter: sampling, interface and application names.

Options data are state, not flows: a router reports "1 in 100 packets sampled" or "ifIndex 3
is Gi0/1" every few minutes, and every flow after that is read in that light. Sampled
counters are multiplied by the rate in the ECS fields (what an analyst sums), while
`netflow.*` keeps what the exporter sent. The state is persisted with the templates: after a
restart, flows must not lose their sampling rate until the next options refresh.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_INTERFACE_KEYS = ("ingress_interface", "egress_interface", "scope_interface")
SamplerKey = str  # "" for the exporter-wide rate, "sampler:<id>" or "selector:<id>"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def sampling_rate(fields: dict[str, Any]) -> float | None:
    """Packets represented by each sampled one, from whichever sampling fields are present.

    v9/IPFIX 34 and 50 give the interval directly; PSAMP (RFC 5477) gives interval and space
    (1 in interval + space), a probability, or size out of population.
    """
    for key in ("sampling_interval", "sampler_random_interval"):
        rate = _number(fields.get(key))
        if rate is not None and rate > 0:
            return rate
    interval = _number(fields.get("sampling_packet_interval"))
    if interval:
        return (interval + (_number(fields.get("sampling_packet_space")) or 0)) / interval
    probability = _number(fields.get("sampling_probability"))
    if probability and 0 < probability <= 1:
        return 1 / probability
    size = _number(fields.get("sampling_size"))
    population = _number(fields.get("sampling_population"))
    if size and population:
        return population / size
    return None


def sampler_key(fields: dict[str, Any]) -> SamplerKey:
    for name, prefix in (("sampler_id", "sampler"), ("selector_id", "selector")):
        if isinstance(fields.get(name), int):
            return f"{prefix}:{fields[name]}"
    return ""


def _put(table: dict[Any, Any], key: Any, value: Any) -> bool:
    if table.get(key) == value:
        return False
    table[key] = value
    return True


class OptionsState:
    """One session's options knowledge; mutated only by the listener thread."""

    def __init__(self) -> None:
        self.sampling: dict[SamplerKey, float] = {}
        self.interfaces: dict[int, str] = {}
        self.applications: dict[str, str] = {}
        self.system_init_ms: int | None = None
        self.version = 0  # counts changes: a snapshot of an older version is stale
        self._snapshot: OptionsSnapshot | None = None

    def learn(self, record: dict[str, Any]) -> bool:
        """Take what an options data record says; True when something changed."""
        changed = self._learn(record)
        self.version += changed
        return changed

    def snapshot(self) -> OptionsSnapshot:
        """The state as it is now, frozen; one copy per version (taken once per change)."""
        if self._snapshot is None or self._snapshot.version != self.version:
            frozen = OptionsState()
            frozen.sampling = dict(self.sampling)
            frozen.interfaces = dict(self.interfaces)
            frozen.applications = dict(self.applications)
            frozen.system_init_ms = self.system_init_ms
            rate = self.sampling.get("", 1.0) if self.sampling else 1.0
            self._snapshot = OptionsSnapshot(self, self.version, frozen, rate)
        return self._snapshot

    def _learn(self, record: dict[str, Any]) -> bool:
        changed = False
        rate = sampling_rate(record)
        if rate is not None:
            changed |= _put(self.sampling, sampler_key(record), rate)
        name = record.get("interface_name") or record.get("interface_description")
        if isinstance(name, str) and name:
            index = next(
                (record[k] for k in _INTERFACE_KEYS if isinstance(record.get(k), int)), None
            )
            if index is not None:
                changed |= _put(self.interfaces, index, name)
        application = record.get("application_name")
        if isinstance(application, str) and application and "application_id" in record:
            changed |= _put(self.applications, str(record["application_id"]), application)
        init = record.get("system_init_time_milliseconds")
        if isinstance(init, datetime):
            init_ms = (init - _EPOCH) // _MILLISECOND
            changed |= init_ms != self.system_init_ms
            self.system_init_ms = init_ms
        return changed

    def rate_for(self, fields: dict[str, Any]) -> float:
        """The rate for one flow: its own sampling fields, its sampler's, else exporter-wide."""
        own = sampling_rate(fields)
        if own is not None:
            return own
        if self.sampling:
            key = sampler_key(fields)
            return self.sampling.get(key) or self.sampling.get("", 1.0)
        return 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "sampling": self.sampling,
            "interfaces": {str(k): v for k, v in self.interfaces.items()},
            "applications": self.applications,
            "system_init_ms": self.system_init_ms,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> OptionsState:
        """Inverse of `to_json`; raises ValueError/TypeError/AttributeError on damaged input."""
        state = cls()
        state.sampling = {str(k): float(v) for k, v in raw.get("sampling", {}).items()}
        state.interfaces = {int(k): str(v) for k, v in raw.get("interfaces", {}).items()}
        state.applications = {str(k): str(v) for k, v in raw.get("applications", {}).items()}
        init = raw.get("system_init_ms")
        state.system_init_ms = None if init is None else int(init)
        return state


class OptionsSnapshot(NamedTuple):
    """What flows of a data set are read with when they are mapped later than decoded (the
    columnar path maps a whole drain at once, while options records keep arriving)."""

    state: OptionsState  # the live state it was taken from
    version: int
    options: OptionsState  # the frozen copy
    rate: float  # `rate_for` a flow without sampling fields of its own


def same(snapshot: OptionsSnapshot, state: OptionsState) -> bool:
    """Whether `state` still says what `snapshot` says: the dict path reads the live state when
    it maps a packet's flows, so a set may only be read with a snapshot that is still current
    at that moment (an options record later in the same packet makes it stale)."""
    return snapshot.state is state and snapshot.version == state.version
