"""Field naming: IANA, v9 vendor and enterprise elements under Filebeat's snake_case keys."""

from __future__ import annotations

import pytest

from collectors.netflow.elements import (
    UNKNOWN,
    Element,
    ipfix_element,
    snake_case,
    v9_element,
    v9_scope_element,
)
from collectors.netflow.iana import IANA_ELEMENTS


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("octetDeltaCount", "octet_delta_count"),
        ("sourceIPv4Address", "source_ipv4_address"),
        ("postNATSourceIPv4Address", "post_nat_source_ipv4_address"),
        ("postNAPTDestinationTransportPort", "post_napt_destination_transport_port"),
        ("selectorIDTotalFlowsObserved", "selector_id_total_flows_observed"),
        ("flowStartSysUpTime", "flow_start_sys_up_time"),
        ("icmpTypeCodeIPv6", "icmp_type_code_ipv6"),
        ("VRFname", "vrf_name"),
        ("XlateSourceAddressIPV4", "xlate_source_address_ip_v4"),
        ("ingressAclID", "ingress_acl_id"),
        ("FW_Rule", "fw_rule"),
        ("conntrack_id", "conntrack_id"),
    ],
)
def test_names_convert_like_filebeat(name: str, key: str) -> None:
    assert snake_case(name) == key


def test_every_iana_name_converts_to_a_distinct_lower_case_key() -> None:
    keys = [snake_case(name) for name, _ in IANA_ELEMENTS.values()]
    assert all(key == key.lower() and " " not in key for key in keys)
    assert len(set(keys)) == len(keys)


def test_iana_elements_by_id() -> None:
    assert ipfix_element(8) == Element("source_ipv4_address", "ipv4Address")
    assert ipfix_element(152) == Element("flow_start_milliseconds", "dateTimeMilliseconds")
    assert ipfix_element(292) == Element("sub_template_list", "subTemplateList")


def test_v9_below_32768_is_iana_and_above_is_vendor() -> None:
    assert v9_element(1) == Element("octet_delta_count", "unsigned64")
    assert v9_element(95) == Element("application_id", "octetArray")
    assert v9_element(33000) == Element("ingress_acl_id", "aclId")
    assert v9_element(40001) == Element("xlate_source_address_ip_v4", "ipv4Address")
    assert v9_element(56701) == Element("pan_app_id", "string")


def test_rfc5103_reverse_elements_are_derived_from_iana() -> None:
    assert ipfix_element(1, 29305) == Element("reverse_octet_delta_count", "unsigned64")
    assert ipfix_element(27, 29305) == Element("reverse_source_ipv6_address", "ipv6Address")


def test_enterprise_elements_by_pen() -> None:
    assert ipfix_element(4, 10704) == Element("fw_rule", "string")
    assert ipfix_element(12232, 9) == Element("application_category_name", "string")


def test_netscaler_yaf_and_nokia_elements_have_filebeat_names() -> None:
    # keys as in Filebeat's golden files for the same exporters
    assert ipfix_element(130, 5951) == Element("netscaler_http_req_url", "string")
    assert ipfix_element(190, 5951) == Element("netscaler_http_req_xforwarded_for", "string")
    assert ipfix_element(205, 5951) == Element("netscaler_aaa_username", "string")
    assert ipfix_element(33, 6871) == Element("silk_app_label", "unsigned16")
    assert ipfix_element(93, 637) == Element("nat_sub_string", "string")


def test_yaf_reverse_elements_are_its_own_with_bit_0x4000() -> None:
    assert ipfix_element(14 | 0x4000, 6871) == Element("reverse_initial_tcp_flags", "unsigned8")
    assert ipfix_element(9999 | 0x4000, 6871) == Element("pen6871_ie_26383", UNKNOWN)


def test_unknown_elements_get_generic_keys_not_errors() -> None:
    assert ipfix_element(32000) == Element("ie_32000", UNKNOWN)
    assert ipfix_element(7, 12356) == Element("pen12356_ie_7", UNKNOWN)
    assert v9_element(45000) == Element("ie_45000", UNKNOWN)


def test_v9_scope_types_have_names() -> None:
    assert v9_scope_element(1).key == "scope_system"
    assert v9_scope_element(2).key == "scope_interface"
    assert v9_scope_element(9).key == "scope_9"
