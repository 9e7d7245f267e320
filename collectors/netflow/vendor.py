"""Vendor fields: NetFlow v9 types above 32767 and IPFIX enterprise-specific elements.

v9 has no enterprise bit, so vendors took the upper half of the type space (Cisco ASA NSEL
and IOS firewall, Palo Alto's App-ID and User-ID); IPFIX marks a vendor's element with its
Private Enterprise Number. Names follow Filebeat's tables so the `netflow.*` keys match a
Filebeat deployment; an element missing here is still decoded and kept under a generic key.
RFC 5103's reverse elements (PEN 29305) are derived from the IANA table, not listed.
"""

from __future__ import annotations

# NetFlow v9 field types >= 32768 (PEN 0 in Filebeat's tables).
V9_VENDOR_ELEMENTS: dict[int, tuple[str, str]] = {
    # Cisco ASA NSEL and IOS zone-based firewall
    33000: ("ingressAclID", "aclId"),
    33001: ("egressAclID", "aclId"),
    33002: ("fwExtEvent", "unsigned16"),
    33003: ("fwEventLevel", "unsigned32"),
    33004: ("fwEventLevelID", "unsigned32"),
    33005: ("fwConfiguredValue", "unsigned32"),
    34000: ("fwCtsSrcSGT", "unsigned32"),
    35001: ("fwExtEventAlt", "unsigned32"),
    35004: ("fwBlackoutSecs", "unsigned32"),
    35005: ("fwHalfOpenHigh", "unsigned32"),
    35006: ("fwHalfOpenRate", "unsigned32"),
    35007: ("fwZonePairID", "unsigned32"),
    35008: ("fwMaxSessions", "unsigned32"),
    35009: ("fwZonePairName", "unsigned32"),
    35010: ("fwExtEventDesc", "string"),
    35011: ("fwSummaryPktCount", "unsigned32"),
    35012: ("fwHalfOpenCount", "unsigned32"),
    40000: ("username", "string"),
    40001: ("XlateSourceAddressIPV4", "ipv4Address"),
    40002: ("XlateDestinationAddressIPV4", "ipv4Address"),
    40003: ("XlateSourcePort", "unsigned16"),
    40004: ("XlateDestinationPort", "unsigned16"),
    40005: ("FirewallEvent", "unsigned8"),
    # Palo Alto PAN-OS (its templates also carry privateEnterpriseNumber 346 = 25461)
    56701: ("panAppId", "string"),
    56702: ("panUserId", "string"),
}

# IPFIX enterprise-specific elements: (PEN, element id) -> (name, type).
ENTERPRISE_ELEMENTS: dict[tuple[int, int], tuple[str, str]] = {
    # Cisco (PEN 9): AVC application response time and NBAR attributes
    (9, 8232): ("PolicyQosClassificationHierarchy", "unsigned32"),
    (9, 9252): ("waasoptimizationSegment", "unsigned8"),
    (9, 9265): ("artClientpackets", "unsigned64"),
    (9, 9266): ("artServerpackets", "unsigned64"),
    (9, 9268): ("artCountRetransmissions", "unsigned32"),
    (9, 9272): ("artCountTransactions", "unsigned32"),
    (9, 9273): ("artTotalTransactionTimeSum", "unsigned32"),
    (9, 9282): ("artCountNewConnections", "unsigned32"),
    (9, 9292): ("artCountResponses", "unsigned32"),
    (9, 9303): ("artResponseTimeSum", "unsigned32"),
    (9, 9306): ("artServerResponseTimeSum", "unsigned32"),
    (9, 9309): ("artTotalResponseTimeSum", "unsigned32"),
    (9, 9313): ("artNetworkTimeSum", "unsigned32"),
    (9, 9316): ("artClientNetworkTimeSum", "unsigned32"),
    (9, 9319): ("artServerNetworkTimeSum", "unsigned32"),
    (9, 12232): ("applicationCategoryName", "string"),
    (9, 12233): ("applicationSubCategoryName", "string"),
    (9, 12234): ("applicationGroupName", "string"),
    (9, 12235): ("applicationHttpUserAgent", "string"),
    (9, 12243): ("applicationTrafficClass", "unsigned32"),
    (9, 12244): ("applicationBusinessRelevance", "unsigned32"),
    # Cisco AVC / WAAS connection records carry the endpoints here instead of in IANA 8/12
    # (names as Logstash gives them; `ecs.AVC_ENDPOINT_KEYS` reads them as source/destination)
    (9, 8337): ("ciscoServerBytesNetwork", "unsigned64"),
    (9, 8338): ("ciscoClientBytesNetwork", "unsigned64"),
    (9, 9253): ("ciscoServicesWaasPassthroughReason", "unsigned8"),
    (9, 12236): ("ciscoClientIPv4Address", "ipv4Address"),
    (9, 12237): ("ciscoServerIPv4Address", "ipv4Address"),
    (9, 12240): ("ciscoClientL4Port", "unsigned16"),
    (9, 12241): ("ciscoServerL4Port", "unsigned16"),
    (9, 12242): ("ciscoConnectionId", "unsigned32"),
    # VMware vSphere distributed switch / NSX (PEN 6876)
    (6876, 880): ("vmwareTenantProtocol", "unsigned8"),
    (6876, 881): ("vmwareTenantSourceIPv4", "ipv4Address"),
    (6876, 882): ("vmwareTenantDestIPv4", "ipv4Address"),
    (6876, 883): ("vmwareTenantSourceIPv6", "ipv6Address"),
    (6876, 884): ("vmwareTenantDestIPv6", "ipv6Address"),
    (6876, 886): ("vmwareTenantSourcePort", "unsigned16"),
    (6876, 887): ("vmwareTenantDestPort", "unsigned16"),
    (6876, 888): ("vmwareEgressInterfaceAttr", "unsigned16"),
    (6876, 889): ("vmwareVxlanExportRole", "unsigned8"),
    (6876, 890): ("vmwareIngressInterfaceAttr", "unsigned16"),
    # Barracuda CloudGen Firewall (two PENs in the field)
    **{
        (pen, element): spec
        for pen in (10704, 12326)
        for element, spec in {
            1: ("Timestamp", "unsigned32"),
            2: ("LogOp", "unsigned8"),
            3: ("TrafficType", "unsigned8"),
            4: ("FW_Rule", "string"),
            5: ("ServiceName", "string"),
            6: ("Reason", "unsigned32"),
            7: ("ReasonText", "string"),
            8: ("BindIPv4Address", "ipv4Address"),
            9: ("BindTransportPort", "unsigned16"),
            10: ("ConnIPv4Address", "ipv4Address"),
            11: ("ConnTransportPort", "unsigned16"),
            12: ("AuditCounter", "unsigned32"),
        }.items()
    },
    # Citrix NetScaler / ADC AppFlow (PEN 5951): the HTTP, database, ICA and AAA fields a SOC
    # reads (names as Filebeat and Logstash give them)
    **{
        (5951, element): spec
        for element, spec in {
            128: ("netscalerRoundTripTime", "unsigned32"),
            129: ("netscalerTransactionId", "unsigned32"),
            130: ("netscalerHttpReqUrl", "string"),
            131: ("netscalerHttpReqCookie", "string"),
            132: ("netscalerFlowFlags", "unsigned64"),
            133: ("netscalerConnectionId", "unsigned32"),
            134: ("netscalerSyslogPriority", "unsigned8"),
            135: ("netscalerSyslogMessage", "string"),
            136: ("netscalerSyslogTimestamp", "unsigned64"),
            140: ("netscalerHttpReqReferer", "string"),
            141: ("netscalerHttpReqMethod", "string"),
            142: ("netscalerHttpReqHost", "string"),
            143: ("netscalerHttpReqUserAgent", "string"),
            144: ("netscalerHttpRspStatus", "unsigned16"),
            145: ("netscalerHttpRspLen", "unsigned64"),
            146: ("netscalerServerTTFB", "unsigned64"),
            147: ("netscalerServerTTLB", "unsigned64"),
            150: ("netscalerAppNameIncarnationNumber", "unsigned32"),
            151: ("netscalerAppNameAppId", "unsigned32"),
            152: ("netscalerAppName", "string"),
            153: ("netscalerHttpReqRcvFB", "unsigned64"),
            156: ("netscalerHttpReqForwFB", "unsigned64"),
            157: ("netscalerHttpResRcvFB", "unsigned64"),
            158: ("netscalerHttpResForwFB", "unsigned64"),
            159: ("netscalerHttpReqRcvLB", "unsigned64"),
            160: ("netscalerHttpReqForwLB", "unsigned64"),
            169: ("netscalerHttpResRcvLB", "unsigned64"),
            170: ("netscalerHttpResForwLB", "unsigned64"),
            171: ("netscalerAppUnitNameAppId", "unsigned32"),
            175: ("netscalerDbUserName", "string"),
            176: ("netscalerDbDatabaseName", "string"),
            177: ("netscalerDbCltHostName", "string"),
            178: ("netscalerDbReqString", "string"),
            179: ("netscalerDbRespStatusString", "string"),
            182: ("netscalerClientRTT", "unsigned32"),
            183: ("netscalerHttpContentType", "string"),
            185: ("netscalerHttpReqAuthorization", "string"),
            186: ("netscalerHttpReqVia", "string"),
            187: ("netscalerHttpResLocation", "string"),
            188: ("netscalerHttpResSetCookie", "string"),
            189: ("netscalerHttpResSetCookie2", "string"),
            190: ("netscalerHttpReqXForwardedFor", "string"),
            192: ("netscalerConnectionChainID", "octetArray"),
            193: ("netscalerConnectionChainHopCount", "unsigned8"),
            200: ("netscalerICASessionGuid", "octetArray"),
            203: ("netscalerIcaClientIP", "ipv4Address"),
            204: ("netscalerIcaClientHostName", "string"),
            205: ("netscalerAaaUsername", "string"),
            207: ("netscalerIcaDomainName", "string"),
            210: ("netscalerIcaServerName", "string"),
            238: ("netscalerIcaApplicationName", "string"),
            250: ("netscalerIcaUsername", "string"),
            267: ("netscalerHttpDomainName", "string"),
        }.items()
    },
    # CERT NetSA YAF (PEN 6871); element id | 0x4000 is the reverse direction (`CERT_PEN`)
    **{
        (6871, element): spec
        for element, spec in {
            14: ("initialTCPFlags", "unsigned8"),
            15: ("unionTCPFlags", "unsigned8"),
            18: ("payload", "octetArray"),
            21: ("reverseFlowDeltaMilliseconds", "unsigned32"),
            33: ("silkAppLabel", "unsigned16"),
            35: ("payloadEntropy", "unsigned8"),
            36: ("osName", "string"),
            37: ("osVersion", "string"),
            40: ("flowAttributes", "unsigned16"),
            100: ("expiredFragmentCount", "unsigned32"),
            101: ("assembledFragmentCount", "unsigned32"),
            102: ("meanFlowRate", "unsigned32"),
            103: ("meanPacketRate", "unsigned32"),
            104: ("flowTableFlushEventCount", "unsigned32"),
            105: ("flowTablePeakCount", "unsigned32"),
            500: ("smallPacketCount", "unsigned32"),
            501: ("nonEmptyPacketCount", "unsigned32"),
            502: ("dataByteCount", "unsigned64"),
            503: ("averageInterarrivalTime", "unsigned64"),
            504: ("standardDeviationInterarrivalTime", "unsigned64"),
            505: ("firstNonEmptyPacketSize", "unsigned16"),
            506: ("maxPacketSize", "unsigned16"),
            507: ("firstEightNonEmptyPacketDirections", "unsigned8"),
            508: ("standardDeviationPayloadLength", "unsigned8"),
            510: ("largePacketCount", "unsigned32"),
        }.items()
    },
    # Procera PacketLogic (PEN 15397): the elements whose values identify them in the capture
    # Logstash's spec decodes (its "IPFIX Procera"); the empty strings there stay generic
    (15397, 1): ("proceraService", "string"),
    (15397, 2): ("proceraBaseService", "string"),
    (15397, 3): ("proceraIncomingOctets", "unsigned64"),
    (15397, 4): ("proceraOutgoingOctets", "unsigned64"),
    (15397, 15): ("proceraFlowBehavior", "string"),
    (15397, 25): ("proceraHttpFileLength", "unsigned32"),
    (15397, 47): ("proceraTemplateName", "string"),
    # Nokia BRAS NAT (PEN 637)
    (637, 91): ("natInsideSvcid", "unsigned16"),
    (637, 92): ("natOutsideSvcid", "unsigned16"),
    (637, 93): ("natSubString", "string"),
    # Linux netfilter (ulogd)
    (21373, 4): ("mark", "unsigned32"),
    (21373, 6): ("conntrack_id", "unsigned32"),
    # Cisco vIPtela SD-WAN
    (41916, 4321): ("viptelaVPNId", "unsigned64"),
}

REVERSE_PEN = 29305
"""RFC 5103 biflows: element N under this PEN is the reverse direction of IANA element N."""

CERT_PEN = 6871
CERT_REVERSE_BIT = 0x4000
"""YAF marks the reverse direction of its own element N as N | 0x4000 under the CERT PEN."""
