"""Parse submitted form and query values into typed values at the edge.

Views never read `request.form` loosely: a value that does not fit raises `ValidationError`,
whose message is shown to the user next to the form.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from soc.errors import ValidationError
from ui.i18n import translate as _
from ui.templating import display_zone


def text(
    values: Mapping[str, str],
    name: str,
    *,
    label: str,
    required: bool = False,
    max_length: int = 200,
) -> str | None:
    """A stripped string, None when empty and optional."""
    value = (values.get(name) or "").strip()
    if not value:
        if required:
            raise ValidationError(_("%(field)s is required", field=_(label)))
        return None
    if len(value) > max_length:
        raise ValidationError(
            _("%(field)s is too long (at most %(n)d characters)", field=_(label), n=max_length)
        )
    return value


def choice(
    values: Mapping[str, str], name: str, allowed: Collection[str], *, label: str
) -> str | None:
    """One of `allowed`, or None when empty."""
    value = (values.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise ValidationError(_("%(field)s has an unknown value", field=_(label)))
    return value


def integer(values: Mapping[str, str], name: str, *, label: str) -> int | None:
    value = (values.get(name) or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError(_("%(field)s must be a number", field=_(label))) from None


def page_number(values: Mapping[str, str]) -> int:
    """Page numbers from links are forgiving: anything unusable is the first page."""
    try:
        return max(1, int(values.get("page", "1")))
    except ValueError:
        return 1


def moment(values: Mapping[str, str], name: str, *, label: str) -> datetime | None:
    """An ISO 8601 time; `datetime-local` inputs send no zone: taken in the display zone, which
    the pages show times in."""
    value = (values.get(name) or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(_("%(field)s is not a valid date and time", field=_(label))) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=display_zone())
