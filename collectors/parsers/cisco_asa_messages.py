"""The ASA/FTD message formats cisco_asa reads in detail (Cisco's "ASA Series Syslog Messages"
guide, one pattern per message id or family) and Elastic's categorization of each id: the data of
`cisco_asa`, kept apart from the code that applies it.
"""

from __future__ import annotations

import re

# An IPv6 address, or an IPv4 address or name; never a prefix of a longer token, so that the
# `2a02` of an IPv6 address or the `v1` of a context's `v1:outside:` is no address.
_ADDR = r"(?:[0-9A-Fa-f]*:[0-9A-Fa-f:.]+|[^\s/():]+)(?![^\s/(),])"
# An interface, with the `v1:` of a virtual context when there is one.
_IF = r"(?:[^:\s]+:)??[^:\s]+"
# `(LOCAL\alice)`, `(LOCAL\alice, 9999:sgt_name)` or only the security group tag `(9999:sgt)`.
_USER = r"(?:\s*\((?P<{}>[^)]*)\))?"
PATTERNS: dict[str, re.Pattern[str]] = {
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
    PATTERNS[_same] = PATTERNS[_as]  # fmt: skip
PATTERNS.update(
    dict.fromkeys(("338002", "338003", "338004", "338005", "338006", "338007", "338008", "338101",
                   "338102", "338103", "338104", "338201", "338202", "338203", "338204"),
                  PATTERNS["338001"])
)  # fmt: skip
_DENY = (["network"], ["connection", "denied"], "failure", "firewall-rule")
_LOGIN = (["authentication", "network"], ["allowed", "info"], "success", "logged-in")
_LOGIN_FAILED = (["authentication", "network"], ["denied", "info"], "failure", "logon-failed")
_CREATION = (["network"], ["connection", "start"], "success", "flow-creation")
_EXPIRATION = (["network"], ["connection", "end"], "success", "flow-expiration")
_NAT = (["network", "configuration"], None, "success", "nat-slot")
_COMMAND = (["configuration"], ["change"], "success", "configuration")
_CONNECTION_INFO = (["network"], ["connection", "info"], "success", None)
CATEGORIZATION = {
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
DETAILED = {
    id(pattern)
    for pattern in PATTERNS.values()
    if pattern.groupindex.keys()
    & {"url", "tls", "group", "old", "new", "why", "command", "assigned", "listed", "dns"}
}
# Families whose messages share one shape: TLS sessions, IP address assignment, IKEv2.
FAMILIES = {"725": "725001", "737": "737001", "750": "750001", "751": "750001"}
