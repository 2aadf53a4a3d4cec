"""Per-language function words: where a subtitler would not break a line or a cue.

The lists live in scripts/data/function_words/<language>.txt (one word per line, `#` comments):
a plain word belongs with what follows it (articles, prepositions, conjunctions, determiners,
possessives, auxiliaries, infinitive "to"), so a line or cue should not end on it; a word
written `+word` belongs with what precedes it (Hindi postpositions, verb particles), so a line
or cue should not start with it. Stdlib only (every stage env can import it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from subtitles_workflow.punctuation import CLAUSE_END, SENTENCE_END

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "function_words"
# Punctuation a word may carry that says nothing about its role ("(the", "-- and", '"my').
WRAPPING = "\"'“”‘’«»()[]¿¡-–—"
# A word ending in these closes a phrase, whatever it is ("It is." / "the one, and").
PHRASE_END = SENTENCE_END + CLAUSE_END


@dataclass(frozen=True)
class FunctionWords:
    """Words that must not end a line or cue (`ends_before`) or start one (`starts_after`)."""

    ends_before: frozenset[str] = frozenset()
    starts_after: frozenset[str] = frozenset()

    def bad_end(self, word: str) -> bool:
        """A line or cue ending on `word` would separate it from the words it belongs with."""
        stripped = word.strip().strip(WRAPPING + " ").lower()
        if stripped in self.ends_before:  # "dr." ends in a full stop and still wants the name
            return True
        return not stripped.endswith(PHRASE_END) and normalise(stripped) in self.ends_before

    def bad_start(self, word: str) -> bool:
        """A line or cue starting with `word` would separate it from the word before."""
        return normalise(word) in self.starts_after


def normalise(word: str) -> str:
    """The list form of a word: lower case, without quotes, brackets, dashes or a final
    comma-like mark ("- The" and "the," are "the"); a final full stop is kept ("dr.")."""
    return word.strip().strip(WRAPPING + " ").rstrip(",;:!?।").lower()


def parse_list(text: str) -> FunctionWords:
    ends, starts = set(), set()
    for line in text.splitlines():
        word = line.split("#", 1)[0].strip()
        if word.startswith("+"):
            starts.add(normalise(word[1:]))
        elif word:
            ends.add(normalise(word))
    return FunctionWords(frozenset(ends), frozenset(starts))


@functools.lru_cache(maxsize=None)
def for_language(language: str | None) -> FunctionWords:
    """The lists of a language (ISO 639-1, e.g. "en"); empty for a language without a file."""
    path = DATA_DIR / f"{(language or '').split('-')[0].lower()}.txt"
    if not language or not path.is_file():
        return FunctionWords()
    return parse_list(path.read_text(encoding="utf-8"))
