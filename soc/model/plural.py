"""English counts for what a person reads in the shell and in reports ("1 event", "2 events").

One helper for every command, the hunt summary and the collectors, so that none prints
"1 events". The web UI says its counts through its own catalogue (`ui.i18n.ngettext`), as it
speaks Vietnamese too.
"""

from __future__ import annotations


def counted(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` and the noun in the form it takes; `nouns` where the plural is not noun + "s"
    ("match", "matches")."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
