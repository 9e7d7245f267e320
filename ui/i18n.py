"""Vietnamese and English for every label a person reads, chosen per session.

A dict catalogue keyed by the English text keeps templates readable (`_("Cases")`) and lets a
test prove that every label used has a Vietnamese translation. Vietnamese is the default: the
platform serves a Vietnamese provincial centre.
"""

from __future__ import annotations

from typing import Any

from flask import session

from ui.translations.en import VOCABULARY as VOCABULARY_EN
from ui.translations.vi import MESSAGES as VI_MESSAGES

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"
CATALOGUES: dict[str, dict[str, str]] = {"vi": VI_MESSAGES, "en": VOCABULARY_EN}


def current_language() -> str:
    lang = session.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def translate(message: str, **values: Any) -> str:
    """The message in the session's language; `%(name)s` placeholders filled from `values`."""
    text = CATALOGUES[current_language()].get(message, message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    """A message about `n` things ("1 result", "2 results"), `%(n)d` filled with `n`.

    The catalogues keep one entry per message, under the English singular: Vietnamese nouns do
    not change with the count, and English needs no catalogue.
    """
    english = singular if n == 1 else plural
    return CATALOGUES[current_language()].get(singular, english) % {"n": n, **values}


def label(kind: str, value: str | None) -> str:
    """A stored code (`in_progress`, `agency_admin`) as words in the session's language.

    Codes are looked up as `kind:value`; an unknown code shows as itself rather than failing,
    because the stores may learn a new value before the catalogue does.
    """
    if value is None:
        return ""
    key = f"{kind}:{value}"
    return CATALOGUES[current_language()].get(key) or VOCABULARY_EN.get(key) or value
