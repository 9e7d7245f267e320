"""Where the shared sample data lives: `../shared/data` beside the checkout (as in CI), or
`$SOC_SHARED_DATA`. Tests import this instead of hard-coding a machine's path."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("SOC_SHARED_DATA") or ROOT.parent / "shared" / "data")
