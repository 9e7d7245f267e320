"""Templates and options kept across restarts in one JSON file of the data directory.

Without it, every restart loses all flows until each exporter re-sends its templates (Cisco's
default is every 30 minutes). JSON, not pickle: the file is read at start-up, and a damaged or
hand-edited file must cost a warning, never code execution or a crash. Writes go to a
temporary file renamed over the old one, so a crash mid-write leaves the previous state.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1


class TemplateFile:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> list[dict[str, Any]]:
        """The saved sessions, or none when the file is missing, unreadable or foreign."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            log.warning("netflow templates not loaded from %s: %s", self.path, exc)
            return []
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            log.warning("netflow templates not loaded from %s: unknown format", self.path)
            return []
        sessions = raw.get("sessions")
        return [s for s in sessions if isinstance(s, dict)] if isinstance(sessions, list) else []

    def save(self, sessions: list[dict[str, Any]]) -> bool:
        """Replace the file atomically; False (and a warning) when the disk refuses."""
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(
                json.dumps({"format": FORMAT, "sessions": sessions}, separators=(",", ":")),
                encoding="utf-8",
            )
            os.replace(temporary, self.path)
        except OSError as exc:
            log.warning("netflow templates not saved to %s: %s", self.path, exc)
            return False
        return True
