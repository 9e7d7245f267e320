"""Syslog collector: UDP/TCP server -> framing -> RFC 5424/3164 header -> message parsers -> ECS."""

from collectors.syslog.header import parse_syslog
from collectors.syslog.record import SyslogMessage
from collectors.syslog.server import SyslogServer, start

__all__ = ["SyslogMessage", "SyslogServer", "parse_syslog", "start"]
