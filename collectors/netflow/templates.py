"""Templates: the layout of v9 and IPFIX data records, as the exporter announced it.

A template is pure data (ids, lengths, enterprise numbers) so that it can be compared (a
refresh that changes nothing rewrites nothing), persisted as JSON and compiled into a record
decoder (`collectors.netflow.fields`) once per definition.
"""

from __future__ import annotations

from typing import Any, NamedTuple

VARIABLE_LENGTH = 0xFFFF
"""A field length of 65535 announces variable-length encoding (RFC 7011 §7)."""


class TemplateField(NamedTuple):
    element_id: int
    length: int  # octets, or VARIABLE_LENGTH
    pen: int = 0  # IPFIX Private Enterprise Number; 0 for IANA elements and all of v9


class Template(NamedTuple):
    template_id: int
    fields: tuple[TemplateField, ...]
    scope_count: int = 0  # options templates: how many leading fields are scope fields
    options: bool = False

    @property
    def min_record_length(self) -> int:
        """Bytes of the shortest possible record: what a set's padding must be shorter than."""
        return sum(1 if f.length == VARIABLE_LENGTH else f.length for f in self.fields)

    def to_json(self) -> list[Any]:
        return [
            self.template_id,
            self.scope_count,
            self.options,
            [[f.element_id, f.length, f.pen] for f in self.fields],
        ]

    @classmethod
    def from_json(cls, raw: list[Any]) -> Template:
        """Inverse of `to_json`; raises ValueError/TypeError on a damaged file entry."""
        template_id, scope_count, options, fields = raw
        return cls(
            int(template_id),
            tuple(TemplateField(int(e), int(n), int(p)) for e, n, p in fields),
            int(scope_count),
            bool(options),
        )


class Withdrawal(NamedTuple):
    """An IPFIX template withdrawal (RFC 7011 §8.1): one id, or every template of a kind."""

    template_id: int
    options: bool  # withdrawn from an options template set
    all_of_kind: bool  # template id 2 (all templates) or 3 (all options templates)
