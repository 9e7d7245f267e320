"""IPFIX structured data (RFC 6313): basicList, subTemplateList and subTemplateMultiList.

Decoded generically into nested values so that `netflow.*` keeps what the exporter said (BGP
community lists, per-packet sub-records); a list whose header or template does not fit is kept
as its raw hex, and the rest of the record still decodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from collectors.netflow.elements import LIST_KINDS, ipfix_element
from collectors.netflow.fields import FROM_BYTES, read_variable_length
from collectors.netflow.templates import VARIABLE_LENGTH

if TYPE_CHECKING:
    from collectors.netflow.fields import RecordDecoder

SEMANTICS = {
    0: "noneOf",
    1: "exactlyOneOf",
    2: "oneOrMoreOf",
    3: "allOf",
    4: "ordered",
    255: "undefined",
}
MAX_DEPTH = 8  # lists of records of lists...: bounded so hostile nesting cannot recurse deep


class _Malformed(Exception):
    pass


class ListDecoder:
    """Structured-data fields of one session: sub-template lists name that session's templates."""

    def __init__(self, resolve: Callable[[int], RecordDecoder | None]) -> None:
        self._resolve = resolve
        self._depth = 0

    def converter(self, kind: str) -> Callable[[bytes], Any]:
        decode = {
            "basicList": self._basic_list,
            "subTemplateList": self._sub_template_list,
            "subTemplateMultiList": self._sub_template_multi_list,
        }[kind]

        def convert(raw: bytes) -> Any:
            if self._depth >= MAX_DEPTH:
                return raw.hex()
            self._depth += 1
            try:
                return decode(raw)
            except _Malformed:
                return raw.hex()
            finally:
                self._depth -= 1

        return convert

    def _basic_list(self, raw: bytes) -> dict[str, Any]:
        if len(raw) < 5:
            raise _Malformed
        semantic, element_id, length = raw[0], int.from_bytes(raw[1:3]), int.from_bytes(raw[3:5])
        offset, pen = 5, 0
        if element_id & 0x8000:
            if len(raw) < 9:
                raise _Malformed
            element_id, pen, offset = element_id & 0x7FFF, int.from_bytes(raw[5:9]), 9
        element = ipfix_element(element_id, pen)
        if element.kind in LIST_KINDS:
            convert = self.converter(element.kind)
        else:
            convert = FROM_BYTES.get(element.kind, bytes.hex)
        values = []
        while offset < len(raw):
            size = length
            if size == VARIABLE_LENGTH:
                size, offset = read_variable_length(raw, offset)
            if size <= 0 or offset + size > len(raw):
                raise _Malformed
            values.append(convert(raw[offset : offset + size]))
            offset += size
        return {
            "semantic": SEMANTICS.get(semantic, str(semantic)),
            "element": element.key,
            "values": values,
        }

    def _records(self, template_id: int, body: bytes) -> dict[str, Any]:
        decoder = self._resolve(template_id)
        if decoder is None:
            return {"template_id": template_id, "raw": body.hex()}
        records, problem = decoder.decode(body, padded=False)
        if problem:
            raise _Malformed
        return {"template_id": template_id, "records": records}

    def _sub_template_list(self, raw: bytes) -> dict[str, Any]:
        if len(raw) < 3:
            raise _Malformed
        listed = self._records(int.from_bytes(raw[1:3]), raw[3:])
        return {"semantic": SEMANTICS.get(raw[0], str(raw[0])), **listed}

    def _sub_template_multi_list(self, raw: bytes) -> dict[str, Any]:
        if not raw:
            raise _Malformed
        offset, lists = 1, []
        while offset + 4 <= len(raw):
            template_id = int.from_bytes(raw[offset : offset + 2])
            length = int.from_bytes(raw[offset + 2 : offset + 4])
            if length < 4 or offset + length > len(raw):
                raise _Malformed
            lists.append(self._records(template_id, raw[offset + 4 : offset + length]))
            offset += length
        return {"semantic": SEMANTICS.get(raw[0], str(raw[0])), "lists": lists}
