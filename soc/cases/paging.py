"""Bounds on list pages, so one request cannot ask the store for everything."""

from __future__ import annotations

from soc.errors import ValidationError

MAX_PAGE = 1000


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", where="limit")
    if offset < 0:
        raise ValidationError("offset must not be negative", where="offset")
