"""Cisco ASA and Firepower Threat Defense `%ASA-<level>-<id>:` messages to ECS, after Elastic's
Cisco ASA integration (`event.dataset: cisco.asa`, its `event.action`/`type`/`outcome` per id).

Parsed in detail: the messages security teams build detections on (denies 106001/6/7/10/14/
15/16/17/21/23/100/102/103, connection build/teardown 302013-302016/302020/302021, NAT 305011/
305012, ICMP and to-the-box denies 313001/313008/710003/710005, AAA and login results 113004/
113005/113012/113015/605004/605005/611101/611102). Every other id still gets `event.code`,
`event.severity` and the message. The identity firewall's user (`(LOCAL\\alice)`,
`(CORP\\alice, 9999:sgt_name)`) is `user.name` (and `user.domain` but for the ASA's own
`LOCAL`); a security group tag alone is no user. Firepower's security events 430001-430005
(intrusion, connection, file and malware events, `Key: value` pairs) give the connection,
`rule.*`, `url`, `file.*` and, for intrusions and malware, `event.kind: alert`. VPN messages
that start with the tunnel group, user and peer (`Group <g> User <u> IP <a>`, `Group = g,
Username = u, IP = a,`) give `group.name`, `user` and `source`. Also parsed: the Botnet Traffic
Filter (338xxx: the listed domain or address as `threat.indicator`, an alert when blacklisted),
administrators' commands (111008-111010), local accounts added, deleted or given another
privilege level (502101-502103), URL filtering (304001/304002), ICMP without a session (313004/
313005/313009), SSH and AAA sessions (315011, 113008/113009), IKEv2 (750xxx/751xxx: the peer,
`Remote:`, is the source) and address assignment (737xxx), TLS sessions (725xxx), cluster stubs
(302022-302027), hosts (609001/609002), flow offload (805001-805003) and SFR redirection (434002/
434004).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from collectors.parsers.values import IANA_TRANSPORTS, endpoint, int_or_none, ip_or_none
from soc.model.event import Event

DATASET = "cisco.asa"
_TAG = re.compile(r"%(?P<product>ASA|FTD)-(?:[^0-9-]+-)?(?P<level>\d)-(?P<id>\d{6})")
# The tag leads the message, or follows the device's own clock when a relay or `logging
# timestamp` put one there (`Sep 25 05:08:29 UTC: %ASA-ip-4-313005:`, `fw-1 %ASA-4-106023:`).
_IN_MESSAGE = re.compile(r"(?:[^%]{0,80}?(?<![\w%]))?" + _TAG.pattern + r":?\s*")
_LEVELS = ("emergency", "alert", "critical", "error", "warning", "notification",
           "informational", "debug")  # fmt: skip
# An IPv6 address, or an IPv4 address or name; never a prefix of a longer token, so that the
# `2a02` of an IPv6 address or the `v1` of a context's `v1:outside:` is no address.
_ADDR = r"(?:[0-9A-Fa-f]*:[0-9A-Fa-f:.]+|[^\s/():]+)(?![^\s/(),])"
# An interface, with the `v1:` of a virtual context when there is one.
_IF = r"(?:[^:\s]+:)??[^:\s]+"
# `(LOCAL\alice)`, `(LOCAL\alice, 9999:sgt_name)` or only the security group tag `(9999:sgt)`.
_USER = r"(?:\s*\((?P<{}>[^)]*)\))?"
_SGT = re.compile(r"\d+(?::\S*)?")
_PATTERNS: dict[str, re.Pattern[str]] = {
    key: re.compile(pattern.replace("ADDR", _ADDR).replace(">IF)", f">{_IF})"))
    for key, pattern in {
        "106001": r"(?P<direction>\w+) (?P<transport>\S+) connection denied from (?P<src>ADDR)/"
        r"(?P<sport>\d+) to (?P<dst>ADDR)/(?P<dport>\d+) flags (?P<flags>.*?) on interface "
        r"(?P<src_if>\S+)",
        "106006": r"Deny (?P<direction>\w+) (?P<transport>\S+) from (?P<src>ADDR)/(?P<sport>\d+)"
        r" to (?P<dst>ADDR)/(?P<dport>\d+) on interface (?P<src_if>\S+)",
        "106007": r"Deny (?P<direction>\w+) (?P<transport>\S+) from (?P<src>ADDR)/(?P<sport>\d+)"
        r" to (?P<dst>ADDR)/(?P<dport>\d+) due to (?P<protocol>\S+)",
        # 106010 (`Deny inbound protocol 103 src ...`, `Deny inbound sctp src .../5114 dst ...`)
        # is 106014 (`Deny inbound icmp src ...`) with ports or a protocol number.
        "106014": r"Deny (?P<direction>\w+) (?:protocol (?P<iana>\d+)|(?P<transport>\S+)) src "
        r"(?P<src_if>IF):(?P<src>ADDR)(?:/(?P<sport>\d+))? dst (?P<dst_if>IF):(?P<dst>ADDR)"
        r"(?:/(?P<dport>\d+))?",
        # Spoofed, land-attack and reverse-path-check drops: no ports, no access list.
        "106016": r"Deny (?P<transport>\S+) (?:spoof|due to Land Attack|reverse path check) from "
        r"\(?(?P<src>ADDR)\)? to (?P<dst>ADDR)(?: on interface (?P<src_if>\S+))?",
        "106015": r"Deny (?P<transport>\S+) \(no connection\) from (?P<src>ADDR)/(?P<sport>\d+) "
        r"to (?P<dst>ADDR)/(?P<dport>\d+) flags (?P<flags>.*?)\s+on interface (?P<src_if>\S+)",
        "106023": r"Deny (?:protocol (?P<iana>\d+)|(?P<transport>\S+)) src (?P<src_if>IF):"
        r"(?P<src>ADDR)(?:/(?P<sport>\d+))?"
        + _USER.format("src_user")
        + r"(?:\s*\(.*?\))? dst (?P<dst_if>IF):(?P<dst>ADDR)"
        r"(?:/(?P<dport>\d+))?.*?by access-group \"(?P<rule>[^\"]+)\"",
        "106100": r"access-list (?P<rule>\S+) (?P<result>denied|permitted|est-allowed) "
        r"(?P<transport>\S+) (?:for user '?(?P<user>[^'\s]*)'? )?(?P<src_if>[^/\s]+)/(?P<src>ADDR)"
        r"\((?P<sport>\d+)\)" + _USER.format("src_user") + r".*?-> "
        r"(?P<dst_if>[^/\s]+)/(?P<dst>ADDR)\((?P<dport>\d+)\)",
        "302013": r"Built (?P<direction>inbound|outbound) (?P<transport>\S+) connection "
        r"(?P<connection>\d+) for (?P<src_if>IF):(?P<src>ADDR)/(?P<sport>\d+) \((?P<msrc>"
        r"ADDR)/(?P<msport>\d+)\)" + _USER.format("src_user") + r" to (?P<dst_if>IF):"
        r"(?P<dst>ADDR)/(?P<dport>\d+) \((?P<mdst>ADDR)/(?P<mdport>\d+)\)"
        + _USER.format("dst_user"),
        "302014": r"Teardown (?P<transport>\S+) connection (?P<connection>\d+) for "
        r"(?P<src_if>IF):(?P<src>ADDR)/(?P<sport>\d+)"
        + _USER.format("src_user")
        + r" to (?P<dst_if>IF):(?P<dst>ADDR)/(?P<dport>\d+)"
        + _USER.format("dst_user")
        + r" duration (?P<duration>[\d:]+) bytes (?P<bytes>\d+)\s*(?P<reason>.*)",
        "302020": r"(?:Built|Teardown) (?:(?P<direction>inbound|outbound) )?(?P<transport>\S+) "
        r"connection (?:(?P<connection>\d+) )?for faddr (?P<faddr>ADDR)/\d+"
        + _USER.format("fu")
        + r" gaddr (?P<gaddr>ADDR)/\d+ laddr (?P<laddr>ADDR)/\d+"
        + _USER.format("lu")
        + r"(?: type (?P<icmp_type>\d+) code (?P<icmp_code>\d+))?",
        "305011": r"(?:Built|Teardown) (?:dynamic|static) (?P<transport>\S+) translation from "
        r"(?P<src_if>IF):(?P<src>ADDR)(?:/(?P<sport>\d+))?"
        + _USER.format("src_user")
        + r" to (?P<dst_if>IF):(?P<msrc>ADDR)(?:/(?P<msport>\d+))?"
        r"(?: duration (?P<duration>[\d:]+))?",
        "313001": r"Denied (?P<transport>\S+) type=(?P<icmp_type>\d+), code=(?P<icmp_code>\d+) "
        r"from (?P<src>ADDR) on interface (?P<src_if>\S+)",
        "710003": r"(?P<transport>\S+) (?:request|access) (?:discarded|denied by ACL) from "
        r"(?P<src>ADDR)/(?P<sport>\d+) to (?P<dst_if>IF):(?P<dst>ADDR)/(?P<dport>\d+)",
        # 113012/113015 name the local database where 113004/113005 name the server.
        "113004": r"AAA user \w+ Successful\s*: (?:server =\s*(?P<server>\S+)|local database)"
        r"\s*[:,] [Uu]ser =\s*(?P<user>.+?)\s*$",
        "113005": r"AAA user \w+ Rejected\s*: reason =\s*(?P<reason>.+?)\s*: (?:server =\s*"
        r"(?P<server>\S+)|local database)\s*: user =\s*(?P<user>.*?)\s*"
        r"(?:: user IP =\s*(?:None|(?P<src>ADDR)))?\s*$",
        "605005": r"Login (?:permitted|denied) from (?P<src>ADDR)/(?P<sport>\d+) to "
        r"(?P<dst_if>IF):(?P<dst>ADDR)/(?P<service>\S+) for user \"(?P<user>[^\"]*)\"",
        "611101": r"User authentication (?:succeeded|failed): (?:IP address: (?P<src>[^,\s]+), )?"
        r"Uname: (?P<user>.+?)\s*$",
        # ICMP without a session: a reply (313004), an error message (313005, the ICMP packet's
        # own addresses; the original packet it quotes is left in the message), a bad code.
        "313004": r"Denied (?P<transport>\S+) type=(?P<icmp_type>\d+), from (?:[a-z]addr )?"
        r"(?P<src>ADDR) on interface (?P<src_if>\S+) to (?P<dst>\S+?):?(?:\s|$)",
        "313005": r"No matching connection for ICMP error message: (?P<transport>\S+) src "
        r"(?P<src_if>IF):(?P<src>ADDR)" + _USER.format("src_user") + r" dst (?P<dst_if>IF):"
        r"(?P<dst>ADDR)(?:\((?P<dst_user>[^)]*)\))? \(type (?P<icmp_type>\d+), code "
        r"(?P<icmp_code>\d+)\)",
        "313009": r"Denied invalid (?P<transport>\S+) code (?P<icmp_code>\d+), for (?P<src_if>IF):"
        r"(?P<src>ADDR)/(?P<sport>\d+) \((?P<msrc>ADDR)/(?P<msport>\d+)\)"
        + _USER.format("src_user")
        + r" to (?P<dst_if>IF):(?P<dst>ADDR)/(?P<dport>\d+) \((?P<mdst>ADDR)/(?P<mdport>\d+)\)"
        r"(?:.*?ICMP type (?P<icmp_type>\d+))?",
        # The Botnet Traffic Filter: black-, white- or greylisted traffic and the listed side's
        # domain or address (`source malicious address resolved from dynamic list: bad.example.com`,
        # `destination 198.51.100.7 resolved from local list: 198.51.100.7/255.255.255.255`).
        "338001": r"Dynamic [Ff]ilter (?P<verdict>\w+) (?P<listed>black|white|grey) ?listed "
        r"(?P<transport>\S+) traffic from (?P<src_if>IF):(?P<src>ADDR)/(?P<sport>\d+) \((?P<msrc>"
        r"ADDR)/(?P<msport>\d+)\) to (?P<dst_if>IF):(?P<dst>ADDR)/(?P<dport>\d+),? \((?P<mdst>ADDR)"
        r"/(?P<mdport>\d+)\),? (?P<side>source|destination) .*?resolved from (?P<list>\S+) list: "
        r"(?P<entry>[^,\s]+?)(?:, threat-level: (?P<level>[^,]+), category: (?P<category>.+?))?"
        r"\.?\s*$",
        # The filter's DNS snooping: a reply for a domain on a list.
        "338301": r"Intercepted DNS reply for domain (?P<dns>\S+) from (?P<src_if>IF):"
        r"(?P<src>ADDR)/(?P<sport>\d+) to (?P<dst_if>IF):(?P<dst>ADDR)/(?P<dport>\d+), matched "
        r"(?P<list>\S+)",
        "304001": r"(?:(?P<user>[^@\s]+)@)?(?P<src>ADDR)" + _USER.format("src_user") + r" Accessed "
        r"(?:JAVA )?URL (?:[^@\s]+@)?(?P<dst>\S+?):\s*(?P<url>(?:[A-Za-z][\w+.-]*:/|/).*?)\s*$",
        "304002": r"Access denied URL (?P<url>\S+) SRC (?P<src>ADDR)"
        + _USER.format("src_user")
        + r" DEST (?P<dst>ADDR)(?::? on interface (?P<src_if>\S+))?",
        # Cluster stubs: a flow's director, backup or forwarder owner; the ICMP ones map no port.
        "302022": r"Built \w+ stub (?P<transport>\S+) connection for (?P<src_if>IF):(?P<src>ADDR)/"
        r"(?P<sport>\d+) \((?P<msrc>ADDR)(?:/(?P<msport>\d+))?\) to (?P<dst_if>IF):(?P<dst>ADDR)/"
        r"(?P<dport>\d+) \((?P<mdst>ADDR)(?:/(?P<mdport>\d+))?\)",
        "302023": r"Teardown stub (?P<transport>\S+) connection for (?P<src_if>IF):(?P<src>ADDR)/"
        r"(?P<sport>\d+) to (?P<dst_if>IF):(?P<dst>ADDR)/(?P<dport>\d+) duration "
        r"(?P<duration>[\d:]+) forwarded bytes (?P<bytes>\d+)\s*(?P<reason>.*)",
        # Commands run by an administrator: configuration (111008), `show`... (111009), from an
        # application such as ASDM or the CLI (111010).
        "111008": r"User '?(?P<user>[^',]*?)'?,? (?:running '?[^']*?'? from IP "
        r"(?P<src>ADDR), )?executed (?:cmd:\s*|the '?)?'?(?P<command>.*?)'?(?: command)?\.?\s*$",
        # Local user database: an account added or deleted with its privilege level, or a change.
        "502101": r"New user added to local dbase: Uname: (?P<user>\S+) Priv: (?P<new>\d+)",
        "502102": r"User deleted from local dbase: Uname: (?P<user>\S+) Priv: (?P<old>\d+)",
        "502103": r"User priv level changed: Uname: (?P<user>\S+) From: (?P<old>\d+) To: "
        r"(?P<new>\d+)",
        "113008": r"AAA transaction status ACCEPT\s*: user = (?P<user>.+?)\s*$",
        "113009": r"AAA retrieved default group policy \(?(?P<group>[^)\s]+)\)? for user =?\s*"
        r"(?P<user>.+?)\s*$",
        "315011": r"SSH session from (?P<src>ADDR) on interface (?P<src_if>\S+) for user \"?"
        r"(?P<user>[^\"]*?)\"? (?:disconnected by SSH server, reason: (?P<why>.+?)|terminated "
        r"normally)\.?\s*$",
        "716039": r"Authentication: rejected, group = (?P<group>\S+) user = (?P<user>.*?)\s*,",
        "609001": r"(?:Built|Teardown) local-host (?P<src_if>IF):(?P<src>ADDR)"
        r"(?: duration (?P<duration>[\d:]+))?",
        # Flows offloaded to the hardware fast path, or no longer, or not.
        "805001": r"(?:Offloaded )?(?:(?P<transport>\S+) )?Flow (?:is no longer offloaded |"
        r"could not be offloaded )?for connection (?P<connection>\d+) from (?P<src_if>IF):"
        r"(?P<src>ADDR)/(?P<sport>\d+) \((?P<msrc>ADDR)/(?P<msport>\d+)\) to (?P<dst_if>IF):"
        r"(?P<dst>ADDR)/(?P<dport>\d+) \((?P<mdst>ADDR)/(?P<mdport>\d+)\)",
        "434002": r"SFR requested (?:to drop|\S+ to bypass further packet redirection and process) "
        r"(?P<transport>\S+) (?:packet|flow) from (?P<src_if>IF):(?P<src>ADDR)/(?P<sport>\d+) to "
        r"(?P<dst_if>IF):(?P<dst>ADDR)/(?P<dport>\d+)",
        # TLS sessions to and through the device (725001-725016): the peer and its address.
        "725001": r".*?(?:client|server) (?P<src_if>IF):(?P<src>ADDR)/(?P<sport>\d+)(?: to "
        r"(?P<dst>ADDR)/(?P<dport>\d+))?(?: for (?P<tls>[A-Za-z]+)(?:v(?P<tls_version>[\d.]+))? "
        r"session)?",
        # IP address assignment: the address a VPN client got, its pool and tunnel group.
        "737001": r"IPAA: (?:Session=(?P<session>[^,\s]+), )?(?P<why>(?:.*?(?:assigned|pool \S+ "
        r"address) (?P<assigned>[\d.]+|[0-9A-Fa-f]*:[0-9A-Fa-f:]+))?.*?(?:tunnel-group "
        r"(?P<group>\S+))?)\s*$",
        # IKEv2 (750xxx, 751xxx): the device's own address first, then the peer's.
        "750001": r"Local:\s*(?P<dst>\S+?):(?P<dport>\d+) Remote:\s*(?P<src>\S+?):(?P<sport>\d+) "
        r"Username:\s*(?:Unknown\b|(?P<user>\S*))\s*(?:(?:IKEv2 )?Group:(?P<group>\S+) IPv4 "
        r"Address=(?P<assigned>\S+) IPv6 address=(?P<assigned6>\S+) assigned\b.*?|"
        r"(?P<why>.*?))\s*$",
    }.items()
}
for _same, _as in (
    ("302015", "302013"),
    ("302016", "302014"),
    ("302021", "302020"),
    ("305012", "305011"),
    ("605004", "605005"),
    ("611102", "611101"),
    ("106102", "106100"),
    ("106017", "106016"),
    ("106010", "106014"),
    ("710005", "710003"),
    ("106021", "106016"),
    ("313008", "313001"),
    ("106103", "106100"),
    ("113012", "113004"),
    ("113015", "113005"),
    ("302024", "302022"),
    ("302026", "302022"),
    ("302025", "302023"),
    ("302027", "302023"),
    ("111009", "111008"),
    ("111010", "111008"),
    ("609002", "609001"),
    ("805002", "805001"),
    ("805003", "805001"),
    ("434004", "434002"),
):
    _PATTERNS[_same] = _PATTERNS[_as]  # fmt: skip
_PATTERNS.update(
    dict.fromkeys(("338002", "338003", "338004", "338005", "338006", "338007", "338008", "338101",
                   "338102", "338103", "338104", "338201", "338202", "338203", "338204"),
                  _PATTERNS["338001"])
)  # fmt: skip
_DENY = (["network"], ["connection", "denied"], "failure", "firewall-rule")
_LOGIN = (["authentication", "network"], ["allowed", "info"], "success", "logged-in")
_LOGIN_FAILED = (["authentication", "network"], ["denied", "info"], "failure", "logon-failed")
_CREATION = (["network"], ["connection", "start"], "success", "flow-creation")
_EXPIRATION = (["network"], ["connection", "end"], "success", "flow-expiration")
_NAT = (["network", "configuration"], None, "success", "nat-slot")
_COMMAND = (["configuration"], ["change"], "success", "configuration")
_CONNECTION_INFO = (["network"], ["connection", "info"], "success", None)
_CATEGORIZATION = {
    **dict.fromkeys(("106001", "106006", "106007", "106010", "106014", "106015", "106016",
                     "106017", "106021", "106023", "313001", "313008", "710003", "710005"),
                    _DENY),
    **dict.fromkeys(("302013", "302015", "302020"), _CREATION),
    **dict.fromkeys(("302014", "302016", "302021"), _EXPIRATION),
    **dict.fromkeys(("113004", "113012", "605005", "611101"), _LOGIN),
    **dict.fromkeys(("113005", "113015", "605004", "611102"), _LOGIN_FAILED),
    "305011": (*_NAT[:1], ["creation"], *_NAT[2:]),
    "305012": (*_NAT[:1], ["deletion"], *_NAT[2:]),
    **dict.fromkeys(("313004", "313005", "313009", "434002"), _DENY),
    **dict.fromkeys(("302022", "302024", "302026", "609001"), _CREATION),
    **dict.fromkeys(("302023", "302025", "302027", "609002"), _EXPIRATION),
    **dict.fromkeys(("113008", "113009"), _LOGIN),
    "716039": _LOGIN_FAILED,
    "111008": _COMMAND,
    "111010": _COMMAND,
    "111009": (["configuration"], ["info"], "success", "configuration"),
    "502101": (["iam"], ["user", "creation"], "success", "added-user-account"),
    "502102": (["iam"], ["user", "deletion"], "success", "deleted-user-account"),
    "502103": (["iam"], ["user", "change"], "success", "privilege-level-changed"),
    "304001": (["network"], ["access", "allowed"], "success", "url-access"),
    "304002": (["network"], ["access", "denied"], "failure", "url-access"),
    "315011": (["network"], ["connection", "end"], None, "ssh-session-ended"),
    "434004": (["network"], ["info"], None, "bypass"),
    "805001": (["network"], ["connection", "start"], "success", "flow-offload-started"),
    "805002": (["network"], ["connection", "end"], "success", "flow-offload-ended"),
    "805003": (["network"], ["connection", "info"], "failure", None),
    "725001": (["network"], ["connection", "start"], "success", None),
    "725002": _CONNECTION_INFO,
    "725006": (["network"], ["connection", "info"], "failure", None),
    "725007": (["network"], ["connection", "end"], None, None),
    "725016": _CONNECTION_INFO,
    **dict.fromkeys(("737006", "737016"), _CONNECTION_INFO),
    **dict.fromkeys(("737003", "737034"), (["network"], ["connection", "info"], "failure", None)),
    **dict.fromkeys(("737026", "751025"), (*_CONNECTION_INFO[:3], "address-assigned")),
    "750002": (["network"], ["connection", "start"], "success", "connection-started"),
    "338301": (["network"], ["connection", "info"], None, "firewall-rule"),
    "750003": (["network"], ["connection", "start"], "failure", None),
}  # fmt: skip
# The patterns with more than addresses, users and interfaces, for `_details`; by identity,
# as hashing a compiled pattern hashes its whole code on every lookup.
_DETAILED = {
    id(pattern)
    for pattern in _PATTERNS.values()
    if pattern.groupindex.keys()
    & {"url", "tls", "group", "old", "new", "why", "command", "assigned", "listed", "dns"}
}
# Families whose messages share one shape: TLS sessions, IP address assignment, IKEv2.
_FAMILIES = {"725": "725001", "737": "737001", "750": "750001", "751": "750001"}
# Firepower's security events (`%FTD-1-430002: SrcIP: ..., DstIP: ...`): Elastic's action and
# kind and category for each, and the actions of the access rule that mean a blocked connection.
_SECURITY_EVENTS = {
    "430001": ("intrusion-detected", "alert", ["intrusion_detection", "network"], ["info"]),
    "430002": ("connection-started", "event", ["network"], ["connection", "start"]),
    "430003": ("connection-finished", "event", ["network"], ["connection", "end"]),
    "430004": ("file-detected", "event", ["file", "network"], ["info"]),
    "430005": ("malware-detected", "alert", ["malware", "file", "network"], ["info"]),
}
_SECURITY_FIELD = re.compile(r"(?:^|, )([A-Za-z][\w ]{0,40}): ")
_NO_USER = ("No Authentication Required", "Unknown", "No Authentication")
_BLOCKING = ("Block", "Block with reset", "Interactive Block", "Interactive Block with reset")
# The tunnel group, user and peer address that VPN messages (IKE 713xxx, AnyConnect/WebVPN
# 113039, 716xxx, 722xxx...) put first: `Group = g, Username = u, IP = a,` or `Group <g> User
# <u> IP <a>` or `Group g User u IP a`.
_VPN_PEER = re.compile(
    r"Group\s*(?:= (?P<group>[^,]*),|<(?P<group_>[^>]*)>|(?P<group__>\S+))\s*"
    r"(?:(?:Username = (?P<user>[^,]*),|User\s*(?:<(?P<user_>[^>]*)>|(?P<user__>\S+)))\s*)?"
    r"IP\s*(?:= (?P<ip>[^,\s]+)|<(?P<ip_>[^>]*)>|(?P<ip__>\S+))"
)
_ACL_RESULTS = {
    "denied": (["network"], ["connection", "denied"], "failure", "firewall-rule"),
    "permitted": (["network"], ["connection", "allowed"], "success", "firewall-rule"),
    "est-allowed": (["network"], ["connection", "allowed"], "success", "firewall-rule"),
}


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for an ASA/FTD message; None when neither the syslog tag (`%ASA-6-302013`)
    nor the start of the message carries the `%ASA-`/`%FTD-` tag."""
    text = message.strip()
    tag = _TAG.fullmatch(program) if program else None
    if tag is None:
        tag = _IN_MESSAGE.match(text)
        if tag is None:
            return None
        text = text[tag.end() :]
    message_id, level = tag["id"], int(tag["level"])
    product = tag["product"].lower()
    doc: Event = {
        "event": {"module": "cisco_asa", "dataset": DATASET, "kind": "event",
                  "category": ["network"], "code": message_id, "severity": level},
        "log": {"level": _LEVELS[level]},
        "observer": {"vendor": "Cisco", "product": product, "type": "firewall"},
        "cisco": {"asa": {"message_id": message_id}},
        "message": text,
    }  # fmt: skip
    if message_id in _SECURITY_EVENTS:
        _security_event(doc, message_id, text)
        return doc
    pattern = _PATTERNS.get(message_id) or _PATTERNS.get(_FAMILIES.get(message_id[:3], ""))
    match = pattern.match(text) if pattern else None
    if match is not None:
        _fields(doc, message_id, match.groupdict(), details=id(pattern) in _DETAILED)
        return doc
    if message_id in _CATEGORIZATION:
        _categorize(doc, _CATEGORIZATION[message_id])
    if text.startswith("Group") and (peer := _VPN_PEER.match(text)):
        _vpn_peer(doc, peer)
    return doc


def _vpn_peer(doc: Event, peer: re.Match[str]) -> None:
    """`user`, `group.name` and the peer's address (`source`) of a VPN message."""
    if group := peer["group"] or peer["group_"] or peer["group__"]:
        doc["group"] = {"name": group}
    if (text := peer["user"] or peer["user_"] or peer["user__"]) and (user := _user(text)):
        doc["user"] = user
    if source := endpoint(peer["ip"] or peer["ip_"] or peer["ip__"]):
        doc["source"] = source
        if "ip" in source:
            doc["related"] = {"ip": [source["ip"]]}


def _fields(
    doc: Event, message_id: str, found: dict[str, str | None], *, details: bool = False
) -> None:
    asa = doc["cisco"]["asa"]
    event, network = doc["event"], {}
    src, sport, dst, dport = (
        found.get("src"),
        found.get("sport"),
        found.get("dst"),
        found.get("dport"),
    )
    src_if, dst_if = found.get("src_if"), found.get("dst_if")
    if message_id in ("302020", "302021"):
        # Teardowns name no direction: the inside host (laddr) is taken as the source, as
        # for the pings and traceroutes from inside that make most ICMP connections.
        inbound = found.get("direction") == "inbound"
        src, dst = (found["faddr"], found["laddr"]) if inbound else (found["laddr"], found["faddr"])
        # The global address is the inside host's translation (laddr's, on either side).
        found["mdst" if inbound else "msrc"] = found["gaddr"]
    nat = {"source": (found.get("msrc"), found.get("msport")),
           "destination": (found.get("mdst"), found.get("mdport"))}  # fmt: skip
    if message_id in ("302013", "302015") and found.get("direction") == "outbound":
        # The connection was opened from the `to` side (inside): it is the source.
        src, sport, dst, dport = dst, dport, src, sport
        src_if, dst_if = dst_if, src_if
        nat = {"source": nat["destination"], "destination": nat["source"]}
    for side, (ip, port) in (("source", (src, sport)), ("destination", (dst, dport))):
        if value := endpoint(ip, port):
            doc[side] = value
            mapped = endpoint(*nat[side]) if nat[side][0] else {}
            if mapped and mapped != value:
                doc[side]["nat"] = mapped
    if direction := found.get("direction"):
        network["direction"] = direction.lower()
    if (transport := (found.get("transport") or "").lower()) and transport != "ip":
        network["transport"] = "ipv6-icmp" if transport in ("icmpv6", "icmp6") else transport
    if found.get("iana"):
        network["iana_number"] = found["iana"]
    if (size := int_or_none(found.get("bytes"))) is not None:
        network["bytes"] = size
    if network:
        doc["network"] = network
    if duration := found.get("duration"):
        hours, _, rest = duration.partition(":")
        minutes, _, seconds = rest.partition(":")
        if all(part.isdigit() for part in (hours, minutes, seconds)):
            total = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
            event["duration"] = total * 1_000_000_000
    if message_id in ("302014", "302016") and (reason := found["reason"]):
        found.update(_teardown_reason(reason))
    for key, name in (("connection", "connection_id"), ("reason", "termination_reason"),
                      ("initiator", "termination_initiator"),
                      ("icmp_type", "icmp_type"), ("icmp_code", "icmp_code"),
                      ("server", "aaa_server"), ("service", "service")):  # fmt: skip
        if found.get(key):
            asa[name] = found[key]
    if src_if:
        asa["source_interface"] = src_if
        doc["observer"]["ingress"] = {"interface": {"name": src_if}}
    if dst_if:
        asa["destination_interface"] = dst_if
        doc["observer"]["egress"] = {"interface": {"name": dst_if}}
    if rule := found.get("rule"):
        asa["rule_name"] = rule
        doc["rule"] = {"name": rule}
    for key in ("user", "src_user", "dst_user", "fu", "lu", "teardown_user"):
        if (text := found.get(key)) and (user := _user(text)):
            doc["user"] = user
            break
    if found.get("reason") and message_id in ("113005", "113015"):
        event["reason"] = found["reason"]
    categorization = _ACL_RESULTS.get(found.get("result") or "") or _CATEGORIZATION.get(message_id)
    if categorization:
        _categorize(doc, categorization)
    ips = {v["ip"] for side in ("source", "destination") if "ip" in (v := doc.get(side, {}))}
    if details:
        _details(doc, found, ips)
    if ips:
        doc["related"] = {"ip": sorted(ips)}


def _details(doc: Event, found: dict[str, str | None], ips: set[str]) -> None:
    """What only some messages carry: a URL, a TLS version, a group, an administrator's command
    or privilege change, a reason, a VPN client's address, a Botnet Traffic Filter verdict."""
    asa = doc["cisco"]["asa"]
    if url := found.get("url"):
        doc["url"] = _url(url)
    if tls := found.get("tls"):
        doc["tls"] = {"version_protocol": tls.lower()}
        if found.get("tls_version"):
            doc["tls"]["version"] = found["tls_version"]
    if group := found.get("group"):
        doc["group"] = {"name": group}
    if privilege := {key: found[key] for key in ("old", "new") if found.get(key)}:
        asa["privilege"] = privilege
    if why := found.get("why"):
        doc["event"]["reason"] = why
    if dns := found.get("dns"):
        doc["dns"] = {"question": {"name": dns}}
        asa["rule_name"] = found["list"]
    for key, name in (("command", "command_line_arguments"), ("session", "session_id"),
                      ("level", "threat_level"), ("category", "threat_category")):  # fmt: skip
        if found.get(key):
            asa[name] = found[key]
    # The address a VPN client was given names the client in every later connection log.
    for key, name in (("assigned", "assigned_ip"), ("assigned6", "assigned_ipv6")):
        if assigned := ip_or_none(found.get(key)):
            asa[name] = assigned
            ips.add(assigned)
    if found.get("listed"):
        _dynamic_filter(doc, found)


def _dynamic_filter(doc: Event, found: dict[str, str | None]) -> None:
    """The Botnet Traffic Filter's verdict, and the black- or greylisted domain or address of
    the side it names as `threat.indicator`; blacklisted traffic is an alert."""
    listed, dropped = found["listed"], found["verdict"] == "dropped"
    event = doc["event"]
    event.update(action="dynamic-filter", outcome="failure" if dropped else "success",
                 type=["connection", "denied" if dropped else "allowed"])  # fmt: skip
    doc["cisco"]["asa"]["rule_name"] = found["list"]
    if listed == "white":
        return
    event["category"] = ["intrusion_detection", "network"]
    if listed == "black":
        event["kind"] = "alert"
    entry = found["entry"] or ""
    if address := ip_or_none(entry.partition("/")[0]):
        indicator = {"type": "ipv6-addr" if ":" in address else "ipv4-addr", "ip": address}
    else:
        indicator = {"type": "domain-name", "url": {"domain": entry}}
        doc.setdefault(found["side"] or "", {})["domain"] = entry
    doc["threat"] = {"indicator": indicator}


def _url(text: str) -> dict[str, str]:
    """ECS `url` of a URL the device logged: absolute (`http://host/path`) or a bare path."""
    url = {"original": text}
    parts = urlsplit(text)
    if parts.scheme:
        url["scheme"] = parts.scheme
    if parts.hostname:
        url["domain"] = parts.hostname
    if parts.path:
        url["path"] = parts.path
    if parts.query:
        url["query"] = parts.query
    return url


def _security_event(doc: Event, message_id: str, text: str) -> None:
    """ECS fields of a Firepower connection, intrusion, file or malware event: `Key: value`
    pairs joined by `, ` (a value may hold spaces, colons and commas, not `, Key: `)."""
    marks = list(_SECURITY_FIELD.finditer(text))
    found = {
        mark[1]: text[mark.end() : after.start() if after else None]
        for mark, after in zip(marks, [*marks[1:], None], strict=True)
    }
    action, kind, category, types = _SECURITY_EVENTS[message_id]
    event = doc["event"]
    event.update(action=action, kind=kind, category=category, type=types)
    for side, ip, port in (("source", "SrcIP", "SrcPort"), ("destination", "DstIP", "DstPort")):
        if value := endpoint(found.get(ip), found.get(port)):
            doc[side] = value
    for side, prefix in (("source", "Initiator"), ("destination", "Responder")):
        for name in ("bytes", "packets"):
            if (number := int_or_none(found.get(prefix + name.capitalize()))) is not None:
                doc.setdefault(side, {})[name] = number
    network = {}
    if protocol := found.get("Protocol"):
        network["transport"] = IANA_TRANSPORTS.get(protocol, protocol.lower())
    if application := found.get("ApplicationProtocol"):
        network["protocol"] = application.lower()
    if network:
        doc["network"] = network
    observer = doc["observer"]
    for direction in ("Ingress", "Egress"):
        interface, zone = found.get(direction + "Interface"), found.get(direction + "Zone")
        if interface or zone:
            observer[direction.lower()] = {
                **({"interface": {"name": interface}} if interface else {}),
                **({"zone": zone} if zone else {}),
            }
    rule = {}
    if message_id == "430001":
        rule = {"name": found.get("Message"), "id": found.get("SID"),
                "category": found.get("Classification"),
                "ruleset": found.get("IntrusionPolicy")}  # fmt: skip
    elif name := found.get("AccessControlRuleName"):
        rule = {"name": name, "ruleset": found.get("ACPolicy")}
    if rule := {key: value for key, value in rule.items() if value}:
        doc["rule"] = rule
    if verdict := found.get("AccessControlRuleAction"):
        blocked = verdict in _BLOCKING
        event["outcome"] = "failure" if blocked else "success"
        event["type"] = [*types, "denied" if blocked else "allowed"]
        doc["cisco"]["asa"]["rule_action"] = verdict
    # `No Authentication Required` (or `Special Identities\\...` of it) and `Unknown`: no user.
    if (text := found.get("User")) and (user := _user(text)) and user["name"] not in _NO_USER:
        doc["user"] = user
    if url := found.get("URL") or found.get("URI"):
        doc["url"] = {"original": url}
    if agent := found.get("UserAgent"):
        doc["user_agent"] = {"original": agent}
    if status := int_or_none(found.get("HTTPResponse")):
        doc["http"] = {"response": {"status_code": status}}
    if query := found.get("DNSQuery"):
        doc["dns"] = {"question": {"name": query}}
    file = {"name": found.get("FileName"), "size": int_or_none(found.get("FileSize")),
            "hash": {"sha256": sha} if (sha := found.get("FileSHA256")) else None}  # fmt: skip
    if file := {key: value for key, value in file.items() if value is not None}:
        doc["file"] = file
    for key, name in (("FileAction", "file_action"), ("ThreatName", "threat_name"),
                      ("SHA_Disposition", "disposition")):  # fmt: skip
        if found.get(key):
            doc["cisco"]["asa"][name] = found[key]
    ips = sorted(
        {v["ip"] for side in ("source", "destination") if "ip" in (v := doc.get(side, {}))}
    )
    if ips:
        doc["related"] = {"ip": ips}


def _teardown_reason(text: str) -> dict[str, str]:
    """The reason of a teardown (`TCP FINs`) apart from what newer versions add after it: the
    interface that ended it (`from outside`) and the identity-firewall user (`(CORP\\alice)`)."""
    found = {}
    if text.endswith(")") and (start := text.rfind("(")) >= 0:
        found["teardown_user"] = text[start + 1 : -1]
        text = text[:start].rstrip()
    reason, sep, initiator = text.rpartition(" from ")
    if sep and initiator and " " not in initiator:
        found["initiator"] = initiator
        text = reason
    found["reason"] = text
    return found


def _user(text: str) -> dict[str, str] | None:
    """`user` from an identity-firewall user, `LOCAL\\alice` or `CORP\\alice`; None for the
    security group tag (`9999:sgt_name`) that shares its parentheses, for no name, and for the
    `*****` that hides the name of a failed VPN login (one such "user" would be every one)."""
    name = text.partition(", ")[0].strip("'\" ")
    if not name.strip("*") or _SGT.fullmatch(name):
        return None
    domain, _, name = name.rpartition("\\")
    domain = domain.removeprefix("LOCAL").lstrip("\\")
    return {"name": name, "domain": domain} if domain else {"name": name}


def _categorize(
    doc: Event, values: tuple[list[str], list[str] | None, str | None, str | None]
) -> None:
    category, types, outcome, action = values
    event = doc["event"]
    event["category"] = category
    if outcome:
        event["outcome"] = outcome
    if action:
        event["action"] = action
    if types:
        event["type"] = types
