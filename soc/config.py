"""Settings: a YAML file overlaid with `SOC_<SECTION>__<KEY>` environment variables.

Environment overrides exist so that containers and CI can change one value without writing a
file; YAML exists so that a province can keep its whole configuration under version control.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from soc.errors import ConfigError

ENV_PREFIX = "SOC_"
SHIPPED_RULES = Path(__file__).resolve().parents[1] / "rules"
"""The rules and pipelines of this checkout: the defaults name them by absolute path, so `soc hunt`
and `soc rules` work from any directory (a path in the settings file is the user's, relative to
where they run)."""


@dataclass(frozen=True)
class UiSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    secret_key: str = ""  # empty: generated once and kept in <data_dir>/secret_key
    session_cookie_secure: bool = False  # set true behind TLS
    session_lifetime_minutes: int = 480
    tls_cert_file: str = ""  # both set: the UI and ingest API are served over HTTPS
    tls_key_file: str = ""
    # Every time the UI shows or reads (search and hunt windows) is in this IANA zone; the
    # stores and the API stay UTC. A Vietnamese province's analysts think in UTC+7.
    timezone: str = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class SyslogSettings:
    enabled: bool = True
    host: str = "127.0.0.1"
    udp_port: int = 5514
    tcp_port: int = 5514
    max_message_bytes: int = 65536
    max_connections: int = 1000
    max_connections_per_ip: int = 50
    idle_timeout_seconds: float = 300.0
    timezone: str = "UTC"  # for RFC 3164 timestamps, which carry none
    tls_enabled: bool = False
    tls_port: int = 6514
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_ca_file: str = ""  # set to require client certificates signed by this CA
    # Parser processes sharing the sockets (collectors/syslog/workers.py); 0 = one per CPU
    # (a single CPU: parse in the listener's own thread), 1 = parse in the listener's thread.
    # 0 by default: since the store's writes got cheaper (256 MB checkpoints) two workers store
    # 1.3-1.8x one process's rate on 2 cores (bench/README.md).
    workers: int = 0
    # UDP receive buffer asked of the kernel (net.core.rmem_max caps it unless privileged).
    receive_buffer_bytes: int = 32 * 1024 * 1024


@dataclass(frozen=True)
class NetflowSettings:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 2055
    receive_buffer_bytes: int = 4 * 1024 * 1024
    pending_max_records: int = 10_000  # data waiting for its template, per exporter
    pending_max_age_seconds: float = 300.0
    # IPFIX over TCP (RFC 7011 §10.4), for exporters set up that way (YAF, nProbe, softflowd
    # -P tcp); off unless enabled. 4739 is IANA's IPFIX port. Same host as the UDP socket.
    tcp_enabled: bool = False
    tcp_port: int = 4739


@dataclass(frozen=True)
class IngestSettings:
    batch_size: int = 2000  # a write starts at this many queued events (or at the interval)
    max_batch_size: int = 122_880  # the most one write takes from a backlog: a DuckDB row group
    flush_interval_seconds: float = 1.0


@dataclass(frozen=True)
class DetectionSettings:
    enabled: bool = True
    rules_dirs: tuple[str, ...] = (str(SHIPPED_RULES / "soc"), str(SHIPPED_RULES / "sigmahq/rules"))
    pipelines_dirs: tuple[str, ...] = (str(SHIPPED_RULES / "pipelines"),)
    own_rules_dirs: tuple[str, ...] = (str(SHIPPED_RULES / "soc"),)  # `rules check` fails on these
    interval_seconds: float = 5.0
    case_grouping_minutes: int = 60
    min_level: str = "medium"  # lower rules only run in retro-hunts and `soc hunt`


@dataclass(frozen=True)
class EnrichSettings:
    geoip_enabled: bool = True
    geoip_data_file: str = ""  # empty: the data geoip2fast ships
    refresh_seconds: float = 30.0  # how soon new agencies and feeds reach a running server


@dataclass(frozen=True)
class SilenceSettings:
    enabled: bool = True
    default_interval_minutes: float = 15.0
    kind_intervals: tuple[str, ...] = ("site=10",)  # KIND=MINUTES
    check_interval_seconds: float = 60.0


@dataclass(frozen=True)
class StorageSettings:
    data_dir: str = "var"
    events_path: str = ""  # empty: <data_dir>/events.duckdb
    cases_url: str = ""  # empty: sqlite:///<data_dir>/cases.sqlite


@dataclass(frozen=True)
class Settings:
    ui: UiSettings = field(default_factory=UiSettings)
    syslog: SyslogSettings = field(default_factory=SyslogSettings)
    netflow: NetflowSettings = field(default_factory=NetflowSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    detection: DetectionSettings = field(default_factory=DetectionSettings)
    enrich: EnrichSettings = field(default_factory=EnrichSettings)
    silence: SilenceSettings = field(default_factory=SilenceSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)

    @property
    def data_dir(self) -> Path:
        return Path(self.storage.data_dir)

    @property
    def events_path(self) -> Path:
        return Path(self.storage.events_path or self.data_dir / "events.duckdb")

    @property
    def cases_url(self) -> str:
        return self.storage.cases_url or f"sqlite:///{self.data_dir / 'cases.sqlite'}"

    @property
    def dead_letter_path(self) -> Path:
        return self.data_dir / "dead-letter.ndjson"


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from defaults, then the YAML file (if any), then the environment."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    path = path or environ.get("SOC_CONFIG")
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(str(exc), where=str(path)) from exc
        if not isinstance(loaded, dict):
            raise ConfigError("top level must be a mapping of sections", where=str(path))
        raw = loaded
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        raw.setdefault(section, {})[key] = value
    return _build(Settings(), raw, "settings")


def _build(obj: Any, raw: Mapping[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(obj)}
    hints = get_type_hints(type(obj))
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r}", where=where)
        current = getattr(obj, key)
        if is_dataclass(current):
            if not isinstance(value, Mapping):
                raise ConfigError("must be a mapping", where=f"{where}.{key}")
            changes[key] = _build(current, value, f"{where}.{key}")
        else:
            changes[key] = _coerce(value, hints[key], f"{where}.{key}")
    return replace(obj, **changes)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    try:
        if hint is bool:
            if isinstance(value, str):
                if value.lower() in {"1", "true", "yes", "on"}:
                    return True
                if value.lower() in {"0", "false", "no", "off"}:
                    return False
                raise ValueError(f"not a boolean: {value!r}")
            return bool(value)
        if hint in (int, float, str):
            return hint(value)
        if getattr(hint, "__origin__", None) is tuple:
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc), where=where) from exc
    raise ConfigError(f"unsupported setting type {hint!r}", where=where)
