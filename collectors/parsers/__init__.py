"""Message parsers: one log line (already out of its transport) to ECS fields."""

from collectors.parsers.dispatch import parse_message

__all__ = ["parse_message"]
