"""Where a sentence ends in the words of a cue: at sentence punctuation, or, in a segment that
came back without any, at a capitalised word after a pause that is neither "I" nor part of a
name."""

from __future__ import annotations

from dataclasses import replace

from subtitles_workflow.cues import Style, Word
from subtitles_workflow.punctuation import CLAUSE_END, SENTENCE_END

# A word of one of these is "I", not the start of a sentence, when capitalised mid-text.
PRONOUN_I = {"i", "i'm", "i'll", "i've", "i'd", "i’m", "i’ll", "i’ve", "i’d"}


def ends_sentence(word: Word) -> bool:
    return word.ends_sentence or word.text.endswith(SENTENCE_END)


def is_name_pair(left: str, right: str) -> bool:
    """Two capitalised words in a row ("Martin Luther", "New York") read as one name."""
    return left[:1].isupper() and right[:1].isupper() and not left.endswith(SENTENCE_END + CLAUSE_END)


def starts_a_sentence(word: Word, before: Word, after: Word | None, style: Style) -> bool:
    """A capitalised word after a pause in unpunctuated text starts a sentence, unless it is
    "I" or part of a name (a capitalised word beside it: "New York")."""
    if not word.text[:1].isupper() or word.text.lower().strip(".,") in PRONOUN_I:
        return False
    if before.text[:1].isupper() or (after is not None and is_name_pair(word.text, after.text)):
        return False
    return word.start - before.end >= style.sentence_pause


def mark_sentence_ends(words: list[Word], style: Style) -> list[Word]:
    """Recover sentence ends a batched window came back without ("leaves was set on fire
    Right fast"): only in a segment with no sentence punctuation of its own."""
    if any(w.text.endswith(SENTENCE_END) for w in words[:-1]):
        return words
    marked = list(words)
    for index in range(1, len(words)):
        after = words[index + 1] if index + 1 < len(words) else None
        before = words[index - 1]
        if not before.text.endswith(CLAUSE_END) and starts_a_sentence(words[index], before, after, style):
            marked[index - 1] = replace(before, ends_sentence=True)
    return marked
