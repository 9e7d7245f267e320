"""Palo Alto Networks PAN-OS logs (syslog CSV, PAN-OS 8.1 to 11.x default field order) to ECS,
after Elastic's PAN-OS integration (`event.dataset: panw.panos`): the session logs (TRAFFIC,
THREAT, DECRYPTION) here, GLOBALPROTECT, SYSTEM, CONFIG, AUTHENTICATION, USERID and HIPMATCH in
`panos_events`.

The field order is Palo Alto's "Syslog Field Descriptions"; later versions only append fields,
so a line from any version reads up to the fields it has. Every named field is kept under
`panw.panos.*`. The generate time carries no zone (the firewall's local time): it is kept as
written, and `@timestamp` comes from the syslog header, which is read in the configured zone.
"""

from __future__ import annotations

import csv
from typing import Any

from collectors.parsers import panos_events
from collectors.parsers.values import endpoint, int_or_none
from soc.model.event import Event

DATASET = "panw.panos"
_HEAD = ("future_use", "receive_time", "serial_number", "type", "sub_type", "config_version",
         "generated_time")  # fmt: skip
_COMMON = ("source_ip", "destination_ip", "source_nat_ip", "destination_nat_ip", "ruleset",
           "source_user", "destination_user", "application", "virtual_sys", "source_zone",
           "destination_zone", "inbound_interface", "outbound_interface", "log_profile", None,
           "session_id", "repeat_count", "source_port", "destination_port", "source_nat_port",
           "destination_nat_port", "flags", "protocol", "action")  # fmt: skip
_TRAFFIC = (*_COMMON, "bytes", "bytes_sent", "bytes_received", "packets", "start_time",
            "elapsed_time", "url_category", None, "sequence_number", "action_flags",
            "source_location", "destination_location", None, "packets_sent", "packets_received",
            "session_end_reason", "device_group_hierarchy1", "device_group_hierarchy2",
            "device_group_hierarchy3", "device_group_hierarchy4", "vsys_name", "device_name",
            "action_source", "source_vm_uuid", "destination_vm_uuid", "imsi", "imei",
            "parent_session_id", "parent_start_time", "tunnel_type", "sctp_assoc_id",
            "sctp_chunks", "sctp_chunks_sent", "sctp_chunks_received", "rule_uuid",
            "http2_connection", "link_change_count", "policy_id", "link_switches",
            "sdwan_cluster", "sdwan_device_type", "sdwan_cluster_type", "sdwan_site",
            "dynamic_user_group_name", "xff_ip", "source_device_category")  # fmt: skip
_THREAT = (*_COMMON, "misc", "threat_name", "url_category", "severity", "direction",
           "sequence_number", "action_flags", "source_location", "destination_location", None,
           "content_type", "pcap_id", "file_hash", "cloud", "url_index", "user_agent",
           "file_type", "x_forwarded_for", "referrer", "sender", "subject", "recipient",
           "report_id", "device_group_hierarchy1", "device_group_hierarchy2",
           "device_group_hierarchy3", "device_group_hierarchy4", "vsys_name", "device_name",
           None, "source_vm_uuid", "destination_vm_uuid", "http_method", "imsi", "imei",
           "parent_session_id", "parent_start_time", "tunnel_type", "threat_category",
           "content_version", None, "sctp_assoc_id", "payload_protocol_id", "http_headers",
           "url_category_list", "rule_uuid", "http2_connection",
           "dynamic_user_group_name")  # fmt: skip
# PAN-OS 10.0+: the TLS handshake of a session the firewall decrypted, or declined to
_DECRYPTION = (*_COMMON, "tunnel_type", None, None, "source_vm_uuid", "destination_vm_uuid",
               "rule_uuid", "client_to_firewall_stage", "firewall_to_server_stage",
               "tls_version", "tls_key_exchange", "tls_encryption", "tls_auth", "policy_name",
               "elliptic_curve", "error_index", "root_status", "chain_status", "proxy_type",
               "certificate_serial", "fingerprint", "not_before", "not_after",
               "certificate_version", "certificate_size", "common_name_length",
               "issuer_common_name_length", "root_common_name_length", "sni_length",
               "certificate_flags", "common_name", "issuer_common_name", "root_common_name",
               "server_name_indication", "error", "container_id", "pod_namespace", "pod_name",
               "source_edl", "destination_edl", "source_dynamic_address_group",
               "destination_dynamic_address_group", "high_res_timestamp")  # fmt: skip
_FIELDS = {"TRAFFIC": _TRAFFIC, "THREAT": _THREAT, "DECRYPTION": _DECRYPTION}
_NAMES = {kind: (*_HEAD, *fields) for kind, fields in (*_FIELDS.items(),
                                                       *panos_events.FIELDS.items())}  # fmt: skip
# Past a relay's host name and an ISO receive time, to the type column of the other log types.
_TYPE_WITHIN = 128
# The Action column's values (Palo Alto's Threat and URL Filtering log field descriptions);
# `override` is a block page the user passed with the override password.
_SUCCESS = frozenset({"allow", "alert", "continue", "override"})
_DENIED = frozenset({"deny", "drop", "drop-icmp", "drop-all-packets", "reset-client",
                     "reset-server", "reset-both", "block-url", "block-continue", "block-override",
                     "override-lockout", "block-ip", "random-drop", "sinkhole",
                     "block"})  # fmt: skip
_ACTIONS = {"start": "flow_started", "end": "flow_terminated", "drop": "flow_dropped",
            "deny": "flow_denied", "data": "data_match", "file": "file_match",
            "flood": "flood_detected", "packet": "packet_attack", "scan": "scan_detected",
            "spyware": "spyware_detected", "url": "url_filtering", "virus": "virus_detected",
            "vulnerability": "exploit_detected", "wildfire": "wildfire_verdict",
            "wildfire-virus": "wildfire_virus_detected"}  # fmt: skip
_CONNECTION_TYPES = {
    "start": ["start", "connection"],
    "end": ["end", "connection"],
    "drop": ["denied", "connection"],
    "deny": ["denied", "connection"],
}
_DIRECTIONS = {"client-to-server": "inbound", "0": "inbound", "server-to-client": "outbound",
               "1": "outbound"}  # fmt: skip


def claims(message: str) -> bool:
    """A line of a type we read by its fourth column: words like SYSTEM or CONFIG may be anywhere
    in other logs. TRAFFIC and THREAT lines are claimed before, by the cheaper search the
    dispatcher makes for them."""
    columns = message[:_TYPE_WITHIN].split(",", 4)
    return len(columns) > 4 and columns[3] in _NAMES


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a line of a PAN-OS log type we read; None for anything else."""
    try:
        row = next(csv.reader([message.strip()]), [])
    except csv.Error:  # e.g. a line break outside quotes: not a line PAN-OS writes
        return None
    kind = row[3] if len(row) > len(_HEAD) else ""
    if kind in _FIELDS:
        if len(row) < len(_HEAD) + 25:
            return None
        names = _NAMES[kind]
    elif kind in panos_events.FIELDS and len(row) >= len(_HEAD) + panos_events.MINIMUM_COLUMNS:
        names = (*_HEAD, *panos_events.config_names(row)) if kind == "CONFIG" else _NAMES[kind]
    else:
        return None
    raw = {name: value for name, value in zip(names, row, strict=False) if name and value}
    raw["sub_type"] = raw.get("sub_type", "")
    doc: Event = {
        "event": {"module": "panw", "dataset": DATASET},
        "observer": {"vendor": "Palo Alto Networks", "product": "PAN-OS", "type": "firewall"},
    }
    _observer(doc, raw)
    if kind == "TRAFFIC":
        _endpoints(doc, raw)
        _categorize(doc, raw, threat=False)
        _traffic(doc, raw)
    elif kind == "THREAT":
        _endpoints(doc, raw)
        _categorize(doc, raw, threat=True)
        _threat(doc, raw)
    elif kind == "DECRYPTION":
        _endpoints(doc, raw)
        _categorize(doc, raw, threat=False)
        _decryption(doc, raw)
    else:
        panos_events.fill(doc, raw, kind)
    raw.pop("future_use", None)
    doc["panw"] = {"panos": raw}
    return doc


def _observer(doc: Event, raw: dict[str, str]) -> None:
    observer = doc["observer"]
    for key, name in (("serial_number", "serial_number"), ("device_name", "hostname")):
        if raw.get(key):
            observer[name] = raw[key]
    for side, zone, interface in (
        ("ingress", "source_zone", "inbound_interface"),
        ("egress", "destination_zone", "outbound_interface"),
    ):
        values: dict[str, object] = {}
        if raw.get(zone):
            values["zone"] = raw[zone]
        if raw.get(interface):
            values["interface"] = {"name": raw[interface]}
        if values:
            observer[side] = values
    rule = {k: raw[r] for k, r in (("name", "ruleset"), ("uuid", "rule_uuid")) if raw.get(r)}
    if rule:
        doc["rule"] = rule


def _endpoints(doc: Event, raw: dict[str, str]) -> None:
    ips = set()
    for side in ("source", "destination"):
        value = endpoint(raw.get(f"{side}_ip"), raw.get(f"{side}_port"))
        nat = endpoint(raw.get(f"{side}_nat_ip"), raw.get(f"{side}_nat_port"))
        if nat.get("ip") and nat["ip"] not in ("0.0.0.0", "::"):
            value["nat"] = nat
            ips.add(nat["ip"])
        if user := raw.get(f"{side}_user"):
            domain, _, name = user.rpartition("\\")
            value["user"] = {"name": name, **({"domain": domain} if domain else {})}
        if value:
            doc[side] = value
            ips.update([value["ip"]] if "ip" in value else [])
    if ips:
        doc["related"] = {"ip": sorted(ips)}
    if "user" in doc.get("source", {}):
        doc["user"] = dict(doc["source"]["user"])
    network: dict[str, object] = {}
    if raw.get("protocol"):
        network["transport"] = raw["protocol"].lower()
    if raw.get("application"):
        network["application"] = raw["application"]
    if "ip" in doc.get("source", {}):
        network["type"] = "ipv6" if ":" in doc["source"]["ip"] else "ipv4"
    doc["network"] = network


def _categorize(doc: Event, raw: dict[str, str], *, threat: bool) -> None:
    event = doc["event"]
    action = raw.get("action", "").replace(" ", "-").lower()
    event["kind"] = "alert" if threat else "event"
    if raw["sub_type"] == "url":  # URL filtering: a web request, which proxy rules read
        event["category"] = ["web", "network"]
    else:
        event["category"] = ["intrusion_detection", "threat", "network"] if threat else ["network"]
    types = list(_CONNECTION_TYPES.get(raw["sub_type"], [])) if not threat else []
    # A TRAFFIC drop or deny is a session no rule allowed, whatever its Action column says
    denied = action in _DENIED or "denied" in types
    if denied:
        types.append("denied")
    elif action in _SUCCESS:
        types.append("allowed")
    if types:
        event["type"] = list(dict.fromkeys(types))
    if raw["sub_type"] in _ACTIONS:
        event["action"] = _ACTIONS[raw["sub_type"]]
    if action or denied:
        event["outcome"] = "success" if action in _SUCCESS and not denied else "failure"


def _traffic(doc: Event, raw: dict[str, str]) -> None:
    for side, size, packets in (("source", "bytes_sent", "packets_sent"),
                                ("destination", "bytes_received", "packets_received")):  # fmt: skip
        for key, name in ((size, "bytes"), (packets, "packets")):
            if (number := int_or_none(raw.get(key))) is not None:
                doc.setdefault(side, {})[name] = number
    for key, name in (("bytes", "bytes"), ("packets", "packets")):
        if (number := int_or_none(raw.get(key))) is not None:
            doc["network"][name] = number
    if (elapsed := int_or_none(raw.get("elapsed_time"))) is not None:
        doc["event"]["duration"] = elapsed * 1_000_000_000
    if raw.get("session_end_reason"):
        doc["event"]["reason"] = raw["session_end_reason"]


def _threat(doc: Event, raw: dict[str, str]) -> None:
    name, _, number = raw.get("threat_name", "").rpartition("(")
    if number.endswith(")") and number[:-1].strip().isdigit():
        raw["threat_name"], raw["threat_id"] = name.strip(), number[:-1].strip()
    if raw.get("threat_id") == "9999":
        raw["threat_name"] = "URL-filtering"
    if severity := raw.get("severity"):
        doc["log"] = {"level": severity}
        if severity in panos_events.SEVERITIES:
            doc["event"]["severity"] = panos_events.SEVERITIES[severity]
    if direction := _DIRECTIONS.get(raw.get("direction", "")):
        doc["network"]["direction"] = direction
    misc = raw.get("misc", "")
    if raw["sub_type"] == "url" or ("/" in misc and raw["sub_type"] in ("virus", "vulnerability")):
        doc["url"] = {"original": misc}
    elif misc and raw["sub_type"] in ("file", "virus", "vulnerability", "wildfire"):
        doc["file"] = {"name": misc.replace("\\", "/").rsplit("/", 1)[-1]}
    if raw.get("file_hash"):
        doc.setdefault("file", {})["hash"] = {"sha256": raw["file_hash"]}
    http: dict[str, object] = {}
    if raw.get("http_method"):
        http["request"] = {"method": raw["http_method"].upper()}
    if raw.get("referrer"):
        http.setdefault("request", {})["referrer"] = raw["referrer"]  # type: ignore[union-attr]
    if http:
        doc["http"] = http
    if raw.get("user_agent"):
        doc["user_agent"] = {"original": raw["user_agent"]}


def _decryption(doc: Event, raw: dict[str, str]) -> None:
    """The handshake as ECS `tls.*`; a decryption error (an unsupported cipher, a certificate the
    firewall refused) is the event's failure, whatever became of the session."""
    doc["event"]["action"] = "decryption"
    tls: dict[str, Any] = {}
    version = raw.get("tls_version", "")  # TLS1.2, SSL3.0
    if version[:3].lower() in ("tls", "ssl") and version[3:]:
        tls.update(version_protocol=version[:3].lower(), version=version[3:])
    if raw.get("elliptic_curve"):
        tls["curve"] = raw["elliptic_curve"]
    if raw.get("server_name_indication"):
        tls["client"] = {"server_name": raw["server_name_indication"]}
    x509: dict[str, Any] = {}
    for key, name in (("common_name", "subject"), ("issuer_common_name", "issuer")):
        if raw.get(key):
            x509[name] = {"common_name": [raw[key]]}
    if raw.get("certificate_serial"):
        x509["serial_number"] = raw["certificate_serial"]
    if x509:
        tls["server"] = {"x509": x509}
    if tls:
        doc["tls"] = tls
    if (error := raw.get("error")) and error.lower() != "none":
        doc["error"] = {"message": error}
        doc["event"]["outcome"] = "failure"
