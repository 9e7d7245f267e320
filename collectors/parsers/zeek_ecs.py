"""The ECS fields of each Zeek log's records, after Elastic's Zeek integration: `zeek.from_object`
recognises the log and keeps the record; this module says what its fields mean in ECS.
"""

from __future__ import annotations

import contextlib
import re
import string
from datetime import UTC, datetime
from typing import Any

from collectors.parsers.values import (
    endpoint,
    int_or_none,
    ip_or_none,
    mac_or_none,
    request_url,
    text_or_none,
)
from soc.model.event import Event, isoformat, parse_timestamp

_HASH_NAMES = {32: "md5", 40: "sha1", 64: "sha256"}
_HEX_DIGITS = frozenset(string.hexdigits)
_TLS_VERSION = re.compile(r"(D?TLS|SSL)v(\d)(\d)?")
CATEGORIES: dict[str, tuple[list[str], list[str]]] = {
    "conn": (["network"], ["connection"]),
    "dns": (["network"], ["protocol", "info"]),
    "http": (["network", "web"], ["access", "protocol"]),
    "ssl": (["network"], ["protocol"]),
    "x509": (["network"], ["info"]),
    "files": (["file"], ["info"]),
    "smb_files": (["network", "file"], ["info"]),
    "smb_mapping": (["network"], ["protocol", "info"]),
    "dce_rpc": (["network"], ["connection", "protocol"]),
    "kerberos": (["network", "authentication"], ["protocol", "info"]),
    "rdp": (["network"], ["protocol", "info"]),
    "ssh": (["network"], ["connection", "protocol"]),
    "notice": (["intrusion_detection"], ["info"]),
    "weird": (["network"], ["info"]),
    "ntlm": (["network", "authentication"], ["info"]),
    "radius": (["network", "authentication"], ["info"]),
    "ftp": (["network"], ["protocol", "info"]),
    "smtp": (["network", "email"], ["protocol", "info"]),
    "dhcp": (["network"], ["protocol", "info"]),
    "intel": (["threat", "network"], ["indicator"]),
    "signatures": (["intrusion_detection", "network"], ["info"]),
}
_PROTOCOLS = {
    "dns": "dns", "http": "http", "http2": "http", "ssl": "tls", "ssh": "ssh", "ftp": "ftp",
    "smtp": "smtp", "ntlm": "ntlm", "kerberos": "kerberos", "rdp": "rdp", "sip": "sip",
    "dhcp": "dhcp", "radius": "radius", "snmp": "snmp", "socks": "socks", "mysql": "mysql",
    "irc": "irc", "modbus": "modbus", "dnp3": "dnp3", "smb_files": "smb", "smb_mapping": "smb",
    "smb_cmd": "smb", "dce_rpc": "dce_rpc", "ntp": "ntp", "quic": "quic", "ldap": "ldap",
    "ldap_search": "ldap", "rfb": "rfb", "mqtt_connect": "mqtt", "mqtt_publish": "mqtt",
    "mqtt_subscribe": "mqtt",
}  # fmt: skip
"""The application protocol a log is about (as conn's `service` names it for a connection), so
`network.protocol` selects one protocol's events from every log."""
_INTEL_TYPES = {
    "Intel::URL": "url", "Intel::DOMAIN": "domain-name", "Intel::EMAIL": "email-addr",
    "Intel::FILE_HASH": "file", "Intel::FILE_NAME": "file", "Intel::CERT_HASH": "x509-certificate",
    "Intel::USER_NAME": "user-account", "Intel::SOFTWARE": "software",
}  # fmt: skip
"""ECS `threat.indicator.type` of Zeek's indicator types (`Intel::ADDR` by its address family)."""
_FTP_FILE_COMMANDS = frozenset({"RETR", "STOR", "STOU", "APPE", "DELE"})


def zeek_time(value: Any) -> str | None:
    """`ts` as ECS time: epoch seconds (number or text) or ISO 8601 text (`LogAscii::json_timestamps
    = JSON::TS_ISO8601`); None for anything else."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            with contextlib.suppress(ValueError, OverflowError):
                return isoformat(parse_timestamp(value))
            return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(ValueError, OverflowError, OSError):
            return isoformat(datetime.fromtimestamp(value, UTC))
    return None


def _seconds(value: Any) -> float | None:
    """A Zeek interval (a duration, a TTL): a non-negative finite JSON number, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e15:
        return value
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _texts(value: Any) -> list[str]:
    """A Zeek set or vector of strings (a lone string counts as one)."""
    if isinstance(value, str):
        return [value] if value else []
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _network(doc: Event, record: dict[str, Any]) -> None:
    ident = _object(record.get("id"))
    ips = []
    for side, host, port in (("source", "orig_h", "orig_p"), ("destination", "resp_h", "resp_p")):
        if value := endpoint(text_or_none(ident.get(host)), ident.get(port)):
            doc[side] = value
            ips += [value["ip"]] if "ip" in value else []
    for key in ("tx_hosts", "rx_hosts", "src", "dst"):  # files' and notice's hosts
        ips += [ip for text in _texts(record.get(key)) if (ip := ip_or_none(text))]
    if ips:
        doc["related"] = {"ip": sorted(set(ips))}
    network: dict[str, Any] = {}
    if proto := text_or_none(record.get("proto")):
        network["transport"] = proto.lower()
    if community := text_or_none(record.get("community_id")):
        network["community_id"] = community
    if network:
        doc["network"] = network


def _conn(doc: Event, conn: dict[str, Any]) -> None:
    if service := text_or_none(conn.get("service")):
        doc.setdefault("network", {})["protocol"] = service.split(",")[0]
    totals = {"bytes": 0, "packets": 0}
    for side, prefix in (("source", "orig"), ("destination", "resp")):
        for name, key in (("bytes", f"{prefix}_ip_bytes"), ("packets", f"{prefix}_pkts")):
            if (number := int_or_none(conn.get(key))) is not None:
                doc.setdefault(side, {})[name] = number
                totals[name] += number
    if totals["bytes"] or totals["packets"]:
        doc.setdefault("network", {}).update({k: v for k, v in totals.items() if v})
    if (duration := _seconds(conn.get("duration"))) is not None:
        doc["event"]["duration"] = int(duration * 1_000_000_000)


def _dns(doc: Event, dns: dict[str, Any]) -> None:
    result: dict[str, Any] = {}
    names = (("query", "name"), ("qtype_name", "type"), ("qclass_name", "class"))
    question = {n: v for k, n in names if (v := text_or_none(dns.get(k)))}
    if question:
        result["question"] = question
    if (ident := int_or_none(dns.get("trans_id"))) is not None:
        result["id"] = str(ident)
    if code := text_or_none(dns.get("rcode_name")):
        result["response_code"] = code
    answers = _texts(dns.get("answers"))
    ttls = dns.get("TTLs") if isinstance(dns.get("TTLs"), list) else []
    if answers:
        result["answers"] = [{"data": a} for a in answers]
        if len(ttls) == len(answers):
            for answer, ttl in zip(result["answers"], ttls, strict=True):
                if (seconds := _seconds(ttl)) is not None:
                    answer["ttl"] = int(seconds)
        if resolved := [ip for a in answers if (ip := ip_or_none(a))]:
            result["resolved_ip"] = resolved
    result["type"] = "answer" if answers else "query"
    doc["dns"] = result


def _http(doc: Event, http: dict[str, Any]) -> None:
    if url := request_url(http.get("host"), http.get("uri")):
        doc["url"] = url
    result: dict[str, Any] = {}
    request = {n: v for k, n in (("method", "method"), ("referrer", "referrer"))
               if (v := text_or_none(http.get(k)))}  # fmt: skip
    if (length := int_or_none(http.get("request_body_len"))) is not None:
        request["body"] = {"bytes": length}
    if request:
        result["request"] = request
    response: dict[str, Any] = {}
    if (status := int_or_none(http.get("status_code"))) is not None:
        response["status_code"] = status
    if (length := int_or_none(http.get("response_body_len"))) is not None:
        response["body"] = {"bytes": length}
    if mime := _texts(http.get("resp_mime_types")):
        response["mime_type"] = mime[0]
    if response:
        result["response"] = response
    if version := text_or_none(http.get("version")):
        result["version"] = version
    if result:
        doc["http"] = result
    if agent := text_or_none(http.get("user_agent")):
        doc["user_agent"] = {"original": agent}
    if username := text_or_none(http.get("username")):  # HTTP basic authentication
        doc.setdefault("url", {})["username"] = username
        doc.setdefault("related", {})["user"] = [username]


def _ssl(doc: Event, ssl: dict[str, Any]) -> None:
    result: dict[str, Any] = {}
    if (version := text_or_none(ssl.get("version"))) and (match := _TLS_VERSION.fullmatch(version)):
        result["version_protocol"] = match[1].lower()
        result["version"] = f"{match[2]}.{match[3] or 0}"
    for key, name in (("cipher", "cipher"), ("curve", "curve")):
        if value := text_or_none(ssl.get(key)):
            result[name] = value
    for key in ("established", "resumed"):
        if isinstance(ssl.get(key), bool):
            result[key] = ssl[key]
    client = {n: v for k, n in (("server_name", "server_name"), ("ja3", "ja3"))
              if (v := text_or_none(ssl.get(k)))}  # fmt: skip
    if client:
        result["client"] = client
    server = {n: v for k, n in (("subject", "subject"), ("issuer", "issuer"), ("ja3s", "ja3s"))
              if (v := text_or_none(ssl.get(k)))}  # fmt: skip
    if server:
        result["server"] = server
    if sni := client.get("server_name"):
        doc.setdefault("destination", {})["domain"] = sni
    if result:
        doc["tls"] = result


def _x509(doc: Event, x509: dict[str, Any]) -> None:
    certificate = _object(x509.get("certificate"))
    result: dict[str, Any] = {}
    for key, name in (("serial", "serial_number"), ("key_alg", "public_key_algorithm"),
                      ("sig_alg", "signature_algorithm")):  # fmt: skip
        if value := text_or_none(certificate.get(key)):
            result[name] = value
    for key, name in (("subject", "subject"), ("issuer", "issuer")):
        if value := text_or_none(certificate.get(key)):
            result[name] = {"distinguished_name": value}
    if (version := int_or_none(certificate.get("version"))) is not None:
        result["version_number"] = str(version)
    for key, name in (("not_valid_before", "not_before"), ("not_valid_after", "not_after")):
        if moment := zeek_time(certificate.get(key)):
            result[name] = moment
    if names := _texts(_object(x509.get("san")).get("dns")):
        result["alternative_names"] = names
    if result:
        doc["x509"] = result
    _hashes(doc, [x509.get("fingerprint")])


def _hashes(doc: Event, values: list[Any]) -> None:
    """`file.hash.*` from Zeek's hex digests, each named by its length (x509's `fingerprint`
    is whichever hash Zeek was configured with)."""
    hashes = {}
    for value in values:
        text = text_or_none(value)
        name = _HASH_NAMES.get(len(text)) if text else None
        if name and set(text) <= _HEX_DIGITS:
            hashes[name] = text.lower()
    if hashes:
        doc.setdefault("file", {})["hash"] = hashes


def _files(doc: Event, files: dict[str, Any]) -> None:
    file: dict[str, Any] = {}
    if mime := text_or_none(files.get("mime_type")):
        file["mime_type"] = mime
    if name := text_or_none(files.get("filename")):
        file["name"] = name
    size = int_or_none(files.get("total_bytes"))
    if (size := size if size is not None else int_or_none(files.get("seen_bytes"))) is not None:
        file["size"] = size
    if file:
        doc["file"] = file
    _hashes(doc, [files.get(key) for key in ("md5", "sha1", "sha256")])


def _smb_files(doc: Event, smb: dict[str, Any]) -> None:
    if action := text_or_none(smb.get("action")):
        doc["event"]["action"] = action.removeprefix("SMB::").lower()
    file: dict[str, Any] = {}
    if name := text_or_none(smb.get("name")):
        file["name"] = name
    if path := text_or_none(smb.get("path")):
        file["directory"] = path
    if (size := int_or_none(smb.get("size"))) is not None:
        file["size"] = size
    if file:
        doc["file"] = file


def _dce_rpc(doc: Event, rpc: dict[str, Any]) -> None:
    if operation := text_or_none(rpc.get("operation")):
        doc["event"]["action"] = operation


def _kerberos(doc: Event, kerberos: dict[str, Any]) -> None:
    if request := text_or_none(kerberos.get("request_type")):
        doc["event"]["action"] = request
    _outcome(doc, kerberos.get("success"))
    if client := text_or_none(kerberos.get("client")):
        name, _, realm = client.partition("/")
        _user(doc, name, realm)


def _user(doc: Event, name: Any, domain: Any = None) -> None:
    """`user.name/domain` of who logged in, and the name in `related.user`."""
    user = {}
    if name := text_or_none(name):
        user["name"] = name
        doc.setdefault("related", {})["user"] = [name]
    if domain := text_or_none(domain):
        user["domain"] = domain
    if user:
        doc["user"] = user


def _relate(doc: Event, key: str, values: list[str]) -> None:
    """`related.ip` or `related.hosts`: the values added to those already there, once each."""
    if values:
        related = doc.setdefault("related", {})
        related[key] = sorted({*related.get(key, ()), *values})


def _outcome(doc: Event, success: Any) -> None:
    if isinstance(success, bool):
        doc["event"]["outcome"] = "success" if success else "failure"


def _ntlm(doc: Event, ntlm: dict[str, Any]) -> None:
    """The account and client workstation an NTLM logon named (as Windows' 4624 does, the
    workstation is `source.domain`), and the server it logged on to."""
    _user(doc, ntlm.get("username"), ntlm.get("domainname"))
    _outcome(doc, ntlm.get("success"))
    if workstation := text_or_none(ntlm.get("hostname")):
        doc.setdefault("source", {})["domain"] = workstation
    server = text_or_none(ntlm.get("server_dns_computer_name")) or text_or_none(
        ntlm.get("server_nb_computer_name")
    )
    if server:
        doc.setdefault("destination", {})["domain"] = server
    _relate(doc, "hosts", [h for h in (workstation, server) if h])


def _ftp(doc: Event, ftp: dict[str, Any]) -> None:
    """Zeek writes a transferred file's argument as a URL (`ftp://host/dir/file`): its path is
    the file's."""
    _user(doc, ftp.get("user"))
    command = text_or_none(ftp.get("command"))
    if command:
        doc["event"]["action"] = command
    if (code := int_or_none(ftp.get("reply_code"))) is not None and 100 <= code < 600:
        doc["event"]["outcome"] = "success" if code < 400 else "failure"
    file: dict[str, Any] = {}
    arg = text_or_none(ftp.get("arg"))
    if arg and command in _FTP_FILE_COMMANDS and arg.startswith("ftp://"):
        doc["url"] = {"original": arg}
        path = arg[6:].partition("/")[2]
        if path:
            file["path"] = f"/{path}"
            if name := path.rpartition("/")[2]:
                file["name"] = name
    if (size := int_or_none(ftp.get("file_size"))) is not None:
        file["size"] = size
    if mime := text_or_none(ftp.get("mime_type")):
        file["mime_type"] = mime
    if file:
        doc["file"] = file


def _smtp(doc: Event, smtp: dict[str, Any]) -> None:
    """The envelope's sender and recipients, as the server accepted them, and the headers."""
    email: dict[str, Any] = {}
    if sender := _texts(smtp.get("mailfrom")):
        email["from"] = {"address": sender}
    if recipients := _texts(smtp.get("rcptto")):
        email["to"] = {"address": recipients}
    for key, name in (("subject", "subject"), ("msg_id", "message_id")):
        if value := text_or_none(smtp.get(key)):
            email[name] = value
    if email:
        doc["email"] = email
    if agent := text_or_none(smtp.get("user_agent")):
        doc["user_agent"] = {"original": agent}
    _relate(doc, "ip", [ip for t in _texts(smtp.get("x_originating_ip")) if (ip := ip_or_none(t))])


def _dhcp(doc: Event, dhcp: dict[str, Any]) -> None:
    """The lease: the client's address, MAC and host name (what ties an address to a machine),
    and the server that gave it."""
    client = ip_or_none(text_or_none(dhcp.get("client_addr"))) or ip_or_none(
        text_or_none(dhcp.get("assigned_addr"))
    )
    source: dict[str, Any] = {"ip": client} if client else {}
    if mac := mac_or_none(text_or_none(dhcp.get("mac"))):
        source["mac"] = mac
    names = [n for k in ("host_name", "client_fqdn") if (n := text_or_none(dhcp.get(k)))]
    if names:
        source["domain"] = names[-1]
    if source:
        doc.setdefault("source", {}).update(source)
    if server := ip_or_none(text_or_none(dhcp.get("server_addr"))):
        doc.setdefault("destination", {})["ip"] = server
    keys = ("client_addr", "server_addr", "requested_addr", "assigned_addr")
    _relate(doc, "ip", [ip for k in keys if (ip := ip_or_none(text_or_none(dhcp.get(k))))])
    _relate(doc, "hosts", names)


def _radius(doc: Event, radius: dict[str, Any]) -> None:
    _user(doc, radius.get("username"))
    if (result := text_or_none(radius.get("result"))) in ("success", "failed"):
        doc["event"]["outcome"] = "success" if result == "success" else "failure"
    if mac := mac_or_none(text_or_none(radius.get("mac"))):
        doc.setdefault("source", {})["mac"] = mac


def _intel(doc: Event, intel: dict[str, Any]) -> None:
    """A match of a threat-intel indicator in traffic: an alert, the indicator in
    `threat.indicator.*`."""
    doc["event"]["kind"] = "alert"
    seen = _object(intel.get("seen"))
    value = text_or_none(seen.get("indicator"))
    kind = text_or_none(seen.get("indicator_type"))
    if kind:
        doc["rule"] = {"name": kind}
    if not value:
        return
    indicator: dict[str, Any] = {}
    if kind == "Intel::ADDR" and (ip := ip_or_none(value)):
        indicator.update(type="ipv6-addr" if ":" in ip else "ipv4-addr", ip=ip)
        _relate(doc, "ip", [ip])
    elif kind in _INTEL_TYPES:
        indicator["type"] = _INTEL_TYPES[kind]
    if kind == "Intel::URL":
        indicator["url"] = {"original": value}
    elif kind == "Intel::DOMAIN":
        indicator["url"] = {"domain": value}
        _relate(doc, "hosts", [value])
    elif kind == "Intel::EMAIL":
        indicator["email"] = {"address": value}
    elif kind == "Intel::FILE_NAME":
        indicator["file"] = {"name": value}
    elif kind == "Intel::FILE_HASH" and (name := _HASH_NAMES.get(len(value))):
        indicator["file"] = {"hash": {name: value.lower()}}
    if sources := _texts(intel.get("sources")):
        indicator["provider"] = ", ".join(sources)
    indicator["description"] = value
    doc["threat"] = {"indicator": indicator}


def _signatures(doc: Event, sig: dict[str, Any]) -> None:
    """A match of Zeek's signature engine: an alert whose hosts are `src_addr`/`dst_addr`."""
    doc["event"]["kind"] = "alert"
    for side, host, port in (("source", "src_addr", "src_port"),
                             ("destination", "dst_addr", "dst_port")):  # fmt: skip
        if side not in doc and (value := endpoint(text_or_none(sig.get(host)), sig.get(port))):
            doc[side] = value
            _relate(doc, "ip", [value["ip"]] if "ip" in value else [])
    if sig_id := text_or_none(sig.get("sig_id")):
        doc["rule"] = {"id": sig_id, "name": sig_id}
    if msg := text_or_none(sig.get("event_msg")):
        doc["message"] = msg


def _host(doc: Event, record: dict[str, Any]) -> None:
    """software and known_* logs are about one host (`host`), which is not the sensor's
    `host.*`: it goes to `related.ip`."""
    if ip := ip_or_none(text_or_none(record.get("host"))):
        _relate(doc, "ip", [ip])


def _ssh(doc: Event, ssh: dict[str, Any]) -> None:
    _outcome(doc, ssh.get("auth_success"))


def _notice(doc: Event, notice: dict[str, Any]) -> None:
    """A notice is Zeek's alert; one raised outside a connection names its hosts in `src`,
    `dst` and `p`."""
    doc["event"]["kind"] = "alert"
    if note := text_or_none(notice.get("note")):
        doc["rule"] = {"name": note}
    if msg := text_or_none(notice.get("msg")):
        doc["message"] = msg
    if "source" not in doc and (value := endpoint(text_or_none(notice.get("src")))):
        doc["source"] = value
    if "destination" not in doc and (
        value := endpoint(text_or_none(notice.get("dst")), notice.get("p"))
    ):
        doc["destination"] = value


def _weird(doc: Event, weird: dict[str, Any]) -> None:
    if name := text_or_none(weird.get("name")):
        doc["event"]["action"] = name


_HANDLERS = {"conn": _conn, "dns": _dns, "http": _http, "ssl": _ssl, "x509": _x509,
             "files": _files, "smb_files": _smb_files, "dce_rpc": _dce_rpc,
             "kerberos": _kerberos, "ssh": _ssh, "notice": _notice, "weird": _weird,
             "ntlm": _ntlm, "ftp": _ftp, "smtp": _smtp, "dhcp": _dhcp, "radius": _radius,
             "intel": _intel, "signatures": _signatures, "software": _host, "known_hosts": _host,
             "known_services": _host, "known_certs": _host}  # fmt: skip


def fill(doc: Event, name: str, record: dict[str, Any]) -> None:
    """The ECS fields of one record of log `name`: its endpoints and transport, the protocol
    the log is about, and what that log's own fields say."""
    _network(doc, record)
    if protocol := _PROTOCOLS.get(name):
        doc.setdefault("network", {}).setdefault("protocol", protocol)
    if handler := _HANDLERS.get(name):
        handler(doc, record)
