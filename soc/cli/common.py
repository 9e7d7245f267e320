"""Helpers every command group shares."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta

from soc.config import Settings, load_settings
from soc.errors import ValidationError
from soc.model.event import parse_timestamp, utcnow


def settings_of(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


def parse_time(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """ISO 8601, or Kibana-style relative times: now, now-15m, now-24h, now-7d."""
    if not value:
        return None
    now = now or utcnow()
    if value == "now":
        return now
    if value.startswith("now-"):
        amount, unit = value[4:-1], value[-1]
        units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
        if unit not in units or not amount.isdigit():
            raise ValidationError(f"bad relative time {value!r} (use e.g. now-15m)")
        return now - timedelta(**{units[unit]: int(amount)})
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise ValidationError(f"bad time {value!r}: {exc}") from exc
