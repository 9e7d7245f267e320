"""`ui.timezone`: the zone every page shows and reads times in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from soc.config import Settings
from soc.errors import ConfigError
from ui.templating import load_zone


def test_a_zone_that_does_not_exist_is_refused_at_start() -> None:
    with pytest.raises(ConfigError) as caught:
        load_zone("Asia/Atlantis")
    assert "Asia/Atlantis" in str(caught.value)
    assert caught.value.where == "settings.ui.timezone"


def test_the_default_zone_is_vietnam_time() -> None:
    zone = load_zone(Settings().ui.timezone)
    assert datetime(2026, 3, 2, 8, 0, tzinfo=UTC).astimezone(zone).hour == 15
