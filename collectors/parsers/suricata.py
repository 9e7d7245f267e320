"""Suricata EVE JSON records (alert, dns, http, tls, flow, and any other type) to ECS, after
Elastic's Suricata integration (`event.dataset: suricata.eve`).

EVE arrives over syslog (Suricata's `eve-log` with `filetype: syslog`, optionally behind
`@cee:`) or from eve.json. The whole record is kept under `suricata.eve.*`; alerts become
`event.kind: alert` with the signature as the rule. The record sits in its own namespace, so a
sender cannot set `organization`, `event.id` or transport fields through it.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

import orjson

from collectors.parsers.values import (
    IANA_TRANSPORTS,
    endpoint,
    int_or_none,
    ip_or_none,
    mac_or_none,
    request_url,
    text_or_none,
)
from soc.model.event import Event, isoformat

DATASET = "suricata.eve"
_CATEGORIES = {"alert": ["network", "intrusion_detection"], "http": ["network", "web"],
               "fileinfo": ["network", "file"], "anomaly": ["network"]}  # fmt: skip
# Records of an application protocol's own (EVE's event types, named as its app_proto values)
_PROTOCOL_RECORDS = frozenset({"dcerpc", "dhcp", "dnp3", "dns", "ftp", "ftp_data", "http",
                               "http2", "ike", "krb5", "modbus", "mqtt", "nfs", "pgsql",
                               "quic", "rdp", "rfb", "sip", "smb", "smtp", "snmp", "ssh",
                               "tftp", "tls"})  # fmt: skip
# app_proto values that name no protocol: detection failed, or Suricata's example parsers
_NO_PROTOCOL = frozenset({"failed", "template", "template-rust", "unknown"})
# EVE's tls.version: `TLS 1.2`, `SSLv3`; `UNDETERMINED` (or a number) names no version
_TLS_VERSIONS = {"SSLv2": ("ssl", "2.0"), "SSLv3": ("ssl", "3.0"), "TLS 1.0": ("tls", "1.0"),
                 "TLS 1.1": ("tls", "1.1"), "TLS 1.2": ("tls", "1.2"),
                 "TLS 1.3": ("tls", "1.3")}  # fmt: skip
_FLOW_COUNTERS = (("source", "bytes", "bytes_toserver"), ("source", "packets", "pkts_toserver"),
                  ("destination", "bytes", "bytes_toclient"),
                  ("destination", "packets", "pkts_toclient"))  # fmt: skip
_TYPES = {"dns": ["protocol"], "http": ["access", "protocol"], "tls": ["protocol"],
          "ssh": ["protocol"], "smb": ["protocol"], "flow": ["connection"],
          "fileinfo": ["info"], "anomaly": ["info"]}  # fmt: skip


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for an EVE record; None when the line is not a JSON object with
    `event_type` and `timestamp`."""
    text = message.strip().removeprefix("@cee:").lstrip()
    if not text.startswith("{") or '"event_type"' not in text:
        return None
    try:
        eve = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return from_object(eve) if isinstance(eve, dict) else None


def from_object(eve: dict[str, Any]) -> Event | None:
    """ECS fields for a decoded EVE record (a line of eve.json, read by `soc ingest`); None
    when the object has no `event_type`."""
    if not isinstance(eve.get("event_type"), str):
        return None
    kind = eve["event_type"]
    doc: Event = {
        "event": {"module": "suricata", "dataset": DATASET, "kind": "event",
                  "category": list(_CATEGORIES.get(kind, ["network"])),
                  "type": list(_TYPES.get(kind, ["info"]))},
        "suricata": {"eve": eve},
    }  # fmt: skip
    if isinstance(eve.get("timestamp"), str):
        with contextlib.suppress(ValueError):
            doc["@timestamp"] = isoformat(datetime.fromisoformat(eve["timestamp"]))
    _network(doc, eve)
    handler = {"alert": _alert, "dns": _dns, "http": _http, "tls": _tls}.get(kind)
    if handler:
        handler(doc, _object(eve.get(kind)))
    # Records carry other types' objects: an alert the request or handshake that triggered it
    # and its flow's counters so far, a fileinfo record the HTTP transfer that carried the file.
    for key, part in (("http", _http), ("tls", _tls)):
        if kind != key and isinstance(eve.get(key), dict):
            part(doc, eve[key])
    if isinstance(eve.get("flow"), dict):
        _flow(doc, eve["flow"], record=kind == "flow")
    if isinstance(eve.get("fileinfo"), dict):
        _fileinfo(doc, eve["fileinfo"])
    return doc


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _network(doc: Event, eve: dict[str, Any]) -> None:
    ips = []
    for side, ip_key, port_key in (("source", "src_ip", "src_port"),
                                   ("destination", "dest_ip", "dest_port")):  # fmt: skip
        if value := endpoint(text_or_none(eve.get(ip_key)), eve.get(port_key)):
            doc[side] = value
            ips += [value["ip"]] if "ip" in value else []
    if ips:
        doc["related"] = {"ip": sorted(set(ips))}
    network: dict[str, Any] = {}
    if proto := text_or_none(eve.get("proto")):
        network["transport"] = IANA_TRANSPORTS.get(proto, proto.lower())
    app = text_or_none(eve.get("app_proto"))
    if app and app not in _NO_PROTOCOL:
        network["protocol"] = app.lower()
    elif (kind := eve.get("event_type")) in _PROTOCOL_RECORDS:  # dns, ssh... carry no app_proto
        network["protocol"] = kind.replace("_", "-")
    if community := text_or_none(eve.get("community_id")):
        network["community_id"] = community
    if network:
        doc["network"] = network
    if interface := text_or_none(eve.get("in_iface")):
        doc["observer"] = {"ingress": {"interface": {"name": interface}}}
    if isinstance(ether := eve.get("ether"), dict):
        for side, key in (("source", "src_mac"), ("destination", "dest_mac")):
            if mac := mac_or_none(text_or_none(ether.get(key))):
                doc.setdefault(side, {})["mac"] = mac


def _alert(doc: Event, alert: dict[str, Any]) -> None:
    event = doc["event"]
    event["kind"] = "alert"
    action = text_or_none(alert.get("action"))
    if action:
        event["action"] = action
        event["type"].append("denied" if action == "blocked" else "allowed")
    if (severity := int_or_none(alert.get("severity"))) is not None:
        event["severity"] = severity
    rule: dict[str, Any] = {}
    if (signature_id := int_or_none(alert.get("signature_id"))) is not None:
        rule["id"] = str(signature_id)
    for key, name in (("signature", "name"), ("category", "category")):
        if value := text_or_none(alert.get(key)):
            rule[name] = value
    if rule:
        doc["rule"] = rule
        if "name" in rule:
            doc["message"] = rule["name"]
    if threat := _threat(_object(alert.get("metadata"))):
        doc["threat"] = threat


def _threat(metadata: dict[str, Any]) -> dict[str, Any]:
    """ATT&CK from the rule's metadata (Emerging Threats: `mitre_tactic_id TA0001`, ...), which
    EVE gives as lists of strings."""
    threat: dict[str, Any] = {}
    for part in ("tactic", "technique"):
        found: dict[str, list[str]] = {}
        for name in ("id", "name"):
            values = metadata.get(f"mitre_{part}_{name}")
            if isinstance(values, list) and (texts := [v for v in values if isinstance(v, str)]):
                found[name] = texts
        if found:
            threat[part] = found
    return {"framework": "MITRE ATT&CK", **threat} if threat else {}


def _dns(doc: Event, dns: dict[str, Any]) -> None:
    result: dict[str, Any] = {}
    if kind := text_or_none(dns.get("type")):
        result["type"] = kind
    if (ident := int_or_none(dns.get("id"))) is not None:
        result["id"] = str(ident)
    question = {
        n: v for k, n in (("rrname", "name"), ("rrtype", "type")) if (v := text_or_none(dns.get(k)))
    }
    queries = dns.get("queries")
    if not question and isinstance(queries, list) and queries and isinstance(queries[0], dict):
        question = {n: v for k, n in (("rrname", "name"), ("rrtype", "type"))
                    if (v := text_or_none(queries[0].get(k)))}  # fmt: skip
    if question:
        result["question"] = question
    if code := text_or_none(dns.get("rcode")):
        result["response_code"] = code
    if answers := _answers(dns):
        result["answers"] = answers
        resolved = [
            ip
            for a in answers
            if a.get("type") in ("A", "AAAA") and (ip := ip_or_none(a.get("data")))
        ]
        if resolved:
            result["resolved_ip"] = resolved
    if result:
        doc["dns"] = result


def _answers(dns: dict[str, Any]) -> list[dict[str, Any]]:
    """ECS `dns.answers`, which Sigma's `answer` searches, from each answer format of EVE:
    version 2's "detailed" (a list of records) and "grouped" (record type -> data), and
    version 1's one record per event."""
    answers: list[dict[str, Any]] = []
    detailed = dns.get("answers")
    if "rdata" in dns:  # EVE version 1: each answer record is an event of its own
        detailed = [dns]
    for record in detailed if isinstance(detailed, list) else ():
        if isinstance(record, dict):
            answer = {n: v for k, n in (("rrname", "name"), ("rrtype", "type"), ("rdata", "data"))
                      if (v := text_or_none(record.get(k)))}  # fmt: skip
            if (ttl := int_or_none(record.get("ttl"))) is not None:
                answer["ttl"] = ttl
            if answer:
                answers.append(answer)
    # EVE's default writes both formats of the same answers; "grouped" only when it is alone
    grouped = dns.get("grouped") if not answers else None
    for kind, values in grouped.items() if isinstance(grouped, dict) else ():
        for value in values if isinstance(values, list) else ():
            if data := text_or_none(value):
                answers.append({"type": kind, "data": data})
    return answers


def _http(doc: Event, http: dict[str, Any]) -> None:
    if url := request_url(http.get("hostname"), http.get("url")):
        doc["url"] = url
    result: dict[str, Any] = {}
    request = {n: v for k, n in (("http_method", "method"), ("http_refer", "referrer"))
               if (v := text_or_none(http.get(k)))}  # fmt: skip
    if request:
        result["request"] = request
    response: dict[str, Any] = {}
    if (status := int_or_none(http.get("status"))) is not None:
        response["status_code"] = status
    if (length := int_or_none(http.get("length"))) is not None:
        response["body"] = {"bytes": length}
    if response:
        result["response"] = response
    if version := text_or_none(http.get("protocol")):
        result["version"] = version.removeprefix("HTTP/")
    if result:
        doc["http"] = result
    if agent := text_or_none(http.get("http_user_agent")):
        doc["user_agent"] = {"original": agent}


def _tls(doc: Event, tls: dict[str, Any]) -> None:
    result: dict[str, Any] = {}
    if version := _TLS_VERSIONS.get(text_or_none(tls.get("version")) or ""):
        result.update(version_protocol=version[0], version=version[1])
    # The SNI as the client sent it may end in the root's dot: `host.example.`
    if sni := (text_or_none(tls.get("sni")) or "").rstrip("."):
        result["client"] = {"server_name": sni}
        doc.setdefault("destination", {})["domain"] = sni
    server = {n: v for k, n in (("subject", "subject"), ("issuerdn", "issuer"))
              if (v := text_or_none(tls.get(k)))}  # fmt: skip
    if fingerprint := text_or_none(tls.get("fingerprint")):  # `6a:ff:...`, the SHA-1 of the cert
        server["hash"] = {"sha1": fingerprint.replace(":", "").upper()}
    if ja3s := text_or_none(_object(tls.get("ja3s")).get("hash")):
        server["ja3s"] = ja3s
    if server:
        result["server"] = server
    if ja3 := text_or_none(_object(tls.get("ja3")).get("hash")):
        result.setdefault("client", {})["ja3"] = ja3
    if result:
        doc["tls"] = result


def _flow(doc: Event, flow: dict[str, Any], *, record: bool) -> None:
    """The flow's counters and times; `record` when the record is the flow's own (its end or a
    timeout), not another record's snapshot of it."""
    totals = {"bytes": 0, "packets": 0}
    for side, name, key in _FLOW_COUNTERS:
        if (number := int_or_none(flow.get(key))) is not None:
            doc.setdefault(side, {})[name] = number
            totals[name] += number
    doc.setdefault("network", {}).update({k: v for k, v in totals.items() if v})
    for name in ("start", "end"):
        if value := text_or_none(flow.get(name)):
            with contextlib.suppress(ValueError):
                doc["event"][name] = isoformat(datetime.fromisoformat(value))
    if record and (state := text_or_none(flow.get("state"))):
        doc["event"]["type"].append("end" if state == "closed" else "info")


def _fileinfo(doc: Event, fileinfo: dict[str, Any]) -> None:
    file: dict[str, Any] = {}
    if path := text_or_none(fileinfo.get("filename")):
        file["path"] = path
        if name := path.rpartition("/")[2]:
            file["name"] = name
    if (size := int_or_none(fileinfo.get("size"))) is not None:
        file["size"] = size
    hashes = {k: v for k in ("md5", "sha1", "sha256") if (v := text_or_none(fileinfo.get(k)))}
    if hashes:
        file["hash"] = hashes
    if file:
        doc["file"] = file
