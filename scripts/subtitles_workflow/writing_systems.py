"""Which script (writing system) a language is written in, and which scripts a text uses.

Whisper often answers in the wrong script (Hindi in Urdu's Arabic letters, say): the asr stage
checks its output against this table and the subtitle QC flags what is still wrong. Stdlib only
(every stage env can import it).
"""

from __future__ import annotations

import unicodedata
from collections import Counter

# The script each language is normally written in, for the languages Whisper mixes up most
# (and English). A language missing here is not checked.
EXPECTED_SCRIPT = {
    "en": "LATIN", "fr": "LATIN", "de": "LATIN", "es": "LATIN", "it": "LATIN", "pt": "LATIN", "nl": "LATIN",
    "hi": "DEVANAGARI", "mr": "DEVANAGARI", "ne": "DEVANAGARI", "sa": "DEVANAGARI",
    "ur": "ARABIC", "ar": "ARABIC", "fa": "ARABIC", "ps": "ARABIC", "sd": "ARABIC",
    "bn": "BENGALI", "as": "BENGALI", "pa": "GURMUKHI", "gu": "GUJARATI", "or": "ORIYA",
    "ta": "TAMIL", "te": "TELUGU", "kn": "KANNADA", "ml": "MALAYALAM", "si": "SINHALA",
    "ru": "CYRILLIC", "uk": "CYRILLIC", "bg": "CYRILLIC", "sr": "CYRILLIC",
    "el": "GREEK", "he": "HEBREW", "yi": "HEBREW", "th": "THAI", "ko": "HANGUL", "ka": "GEORGIAN",
    "hy": "ARMENIAN", "am": "ETHIOPIC", "km": "KHMER", "lo": "LAO", "my": "MYANMAR", "bo": "TIBETAN",
    "zh": "CJK", "yue": "CJK",
}  # fmt: skip


def letter_script(char: str) -> str | None:
    """The script of one letter ("DEVANAGARI", "LATIN", "CJK", ...); None for anything that is
    not a letter or mark of a script (digits, punctuation, spaces)."""
    if not unicodedata.category(char).startswith(("L", "M")):
        return None
    name = unicodedata.name(char, "")
    if not name:
        return None
    first = name.split()[0]
    return "CJK" if first in ("CJK", "HIRAGANA", "KATAKANA") else first


def script_shares(text: str) -> dict[str, float]:
    """Share of the text's letters in each script (empty for a text without letters)."""
    counts = Counter(s for s in map(letter_script, text) if s)
    total = sum(counts.values())
    return {script: n / total for script, n in counts.most_common()} if total else {}


def in_expected_script(text: str, language: str, min_share: float = 0.5) -> bool | None:
    """Whether most of the text's letters are in the language's script; None when the language
    is not in the table or the text has no letters."""
    expected = EXPECTED_SCRIPT.get(language)
    shares = script_shares(text)
    if expected is None or not shares:
        return None
    return shares.get(expected, 0.0) >= min_share
