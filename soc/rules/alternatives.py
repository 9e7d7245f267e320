"""`field_alternatives_mapping`: a pipeline mapping for a Sigma field that events spell one of
several ways (Sysmon 1's `LogonId` is Security 4688's `SubjectLogonId`).

pySigma's `field_name_mapping` to a list turns `field: value` into "any of the fields has the
value", which is right for values and wrong for absence: `LogonId: null` became "LogonId or
SubjectLogonId is null", true of every Sysmon event (it has no SubjectLogonId). SigmaHQ's
`proc_creation_win_wmiprvse_spawning_process` filters on exactly that, and so never matched its
own regression sample. Here the field is absent only when every alternative is: null and
`|exists: false` become "all of the fields are absent"; other values keep pySigma's "any".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sigma.conditions import ConditionAND, ConditionOR
from sigma.processing.transformations import FieldMappingTransformation, transformations
from sigma.rule import SigmaDetection, SigmaDetectionItem
from sigma.types import SigmaExists, SigmaNull, SigmaType

TYPE = "field_alternatives_mapping"
"""The transformation's `type` in pipeline YAML."""


@dataclass
class FieldAlternativesTransformation(FieldMappingTransformation):
    """`field_name_mapping` whose list mappings are alternative spellings of one field."""

    def apply_detection_item(
        self, detection_item: SigmaDetectionItem
    ) -> SigmaDetection | SigmaDetectionItem | None:
        values = list(detection_item.value)
        mapped = super().apply_detection_item(detection_item)
        absent = [value for value in values if _absence(value)]
        if (
            not isinstance(mapped, SigmaDetection)
            or not absent
            or detection_item.value_linking is not ConditionOR
        ):
            return mapped
        fields = [item for item in mapped.detection_items if isinstance(item, SigmaDetectionItem)]
        none_has = SigmaDetection(
            [dataclasses.replace(item, value=absent) for item in fields], item_linking=ConditionAND
        )
        present = [value for value in values if not _absence(value)]
        if not present:
            return none_has
        any_has = SigmaDetection(
            [dataclasses.replace(item, value=present) for item in fields], item_linking=ConditionOR
        )
        return SigmaDetection([any_has, none_has], item_linking=ConditionOR)


def _absence(value: SigmaType) -> bool:
    return isinstance(value, SigmaNull) or (isinstance(value, SigmaExists) and not value.exists)


def register() -> None:
    """Make `TYPE` known to pySigma's pipeline loader (its registry of transformation types)."""
    transformations.setdefault(TYPE, FieldAlternativesTransformation)
