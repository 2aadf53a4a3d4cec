"""A segment's words as the language writes them: Whisper's tokens joined back into words
("well" "-known": "well-known"), punctuation alone joined to the word before, spaces read from
the segment's text where it has them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import regex

from subtitles_workflow.cues import Word
from subtitles_workflow.punctuation import CLAUSE_END, SENTENCE_END

# Languages Whisper writes without spaces between words (faster-whisper splits their words on
# characters, not spaces): there the segment text has no gaps to read joins from.
UNSPACED_LANGUAGES = {"zh", "ja", "th", "lo", "my", "yue"}

# Without Whisper's own text to read (a segment whose text no longer matches its words), these
# say a token continues the word before it, which ends in a letter or digit: a hyphen before a
# letter (well|-known), a dot before a letter or digit (10|.04, www|.spoken, a|.b), a comma
# before digits after a digit (1|,000), @ or / (a.b|@c.org, and|/or), and an apostrophe of a
# contraction (don|'t, must|'ve) or after an elided article (l|'orda, dell|'anno, O|'Brien).
# A dash with a space before a word (" - Yes") is never one of them.
CONTINUATION = regex.compile(r"[-‐]\p{L}|\.[\p{L}\p{N}]|[@/]")
THOUSANDS = regex.compile(r",\p{N}")
CONTRACTION = regex.compile(r"['’](?:s|t|d|m|ve|ll|re)(?:\P{L}|$)", regex.IGNORECASE)
APOSTROPHE = regex.compile(r"['’]\p{L}")
ELIDED = {"qu", "un", "all", "dall", "dell", "nell", "sull", "coll", "quell", "quest", "bell", "sant",
          "jusqu", "lorsqu", "puisqu", "presqu"}  # fmt: skip
WORD_END = regex.compile(r"[\p{L}\p{N}]\p{M}*$")


def continues_word(before: str, token: str) -> bool:
    """Whether `token` is the rest of the word `before`, judged from the two texts alone (an
    apostrophe token that also ends in one is a quotation: "a 'special' case")."""
    if not WORD_END.search(before):
        return False
    if CONTINUATION.match(token) or CONTRACTION.match(token):
        return True
    if THOUSANDS.match(token):
        return before[-1].isdigit()
    quoted = token.rstrip(".,;:!?").endswith(("'", "’"))
    return bool(APOSTROPHE.match(token)) and not quoted and (len(before) == 1 or before.lower() in ELIDED)


def written_joins(text: str, tokens: list[str]) -> list[bool] | None:
    """For each token after the first, whether Whisper's text writes it straight after the one
    before (no space: "well-known" from "well", "-known"); None when the text is not the
    tokens in order with only spaces between (then nothing can be read from it)."""
    joins, at = [], 0
    for index, token in enumerate(tokens):
        gap_end = at
        while gap_end < len(text) and text[gap_end].isspace():
            gap_end += 1
        if not text.startswith(token, gap_end):
            return None
        if index:
            joins.append(gap_end == at)
        at = gap_end + len(token)
    return joins if not text[at:].strip() else None


def is_punctuation_only(text: str) -> bool:
    return not text.strip("".join(SENTENCE_END + CLAUSE_END) + "\"'“”‘’-")


def words_of_segment(segment: dict[str, Any], language: str | None = None) -> list[Word]:
    """The segment's words as the language writes them. A token Whisper wrote with no space
    before it continues the word before ("well" "-known": one word "well-known", from the
    first's start to the last's end, with the lower probability), so no line ever breaks
    inside it. The transcript's words lost their leading spaces, so the spaces are read from
    the segment's text. Where the text does not match the words, was rebuilt from them by the
    asr stage's repair (transcript_repair.without_prompt_echo joins them with spaces), or has
    no spaces to read (UNSPACED_LANGUAGES), continues_word judges from the tokens alone.
    A "word" of punctuation alone ("," "..." "।") joins the
    word before it (or goes, first in a segment): shown alone it would be an empty-looking cue."""
    raw = [(w, w.get("word", "").strip()) for w in segment.get("words", [])]
    raw = [(w, text) for w, text in raw if text]
    tokens = [text for _, text in raw]
    text = segment.get("text", "")
    joins = None
    if language not in UNSPACED_LANGUAGES:
        joins = written_joins(text.strip(), tokens)
        if joins is not None and segment.get("redecoded") and text.strip() == " ".join(tokens):
            joins = None  # the repair rebuilt the text from the words: it says nothing of spaces
    words: list[Word] = []
    for index, (w, text) in enumerate(raw):
        start, end, probability = float(w["start"]), float(w["end"]), float(w.get("probability", 1.0))
        if is_punctuation_only(text):
            if words:
                words[-1] = replace(words[-1], text=words[-1].text + text, end=max(words[-1].end, end))
            continue
        if not words:
            words.append(Word(text, start, end, probability))
            continue
        before = words[-1]
        if joins[index - 1] if joins is not None else continues_word(before.text, text):
            probability = min(before.probability, probability)
            words[-1] = replace(before, text=before.text + text, end=max(before.end, end), probability=probability)
        else:
            words.append(Word(text, start, end, probability))
    return words
