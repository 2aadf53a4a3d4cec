"""What a loop is, for every stage: the same word or phrase over and over faster than a person
speaks it, or more times than anyone says it (is_loop), or a segment whose text compresses like
Whisper's own failed windows. The asr stage judges segments by it (looping_reason) and the
subtitles stage the words on screen (cue_words.drop_loops, segmentation.drop_repeated_spans):
what one keeps as speech, the other shows. Stdlib only (any env can import it)."""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Callable

# Whisper's own threshold: a window whose text compresses better than this is re-decoded.
COMPRESSION_RATIO_LIMIT = 2.4
# The same word or n-gram this many times in a row can be a loop ("the the" is speech): it is
# one when said faster than a person speaks, or LOOP_REPEATS times or more.
MIN_REPEATS = 3
MAX_NGRAM = 8
# A word or phrase said this many times in a row is a loop at any rate. Fewer, said at a
# speaking rate, is speech: MFA's test monologue says "more words words words words".
LOOP_REPEATS = 5
# Characters per second of a segment that a person can say: fast speech is 15-18 letters
# (Netflix's adult reading speed is 17 cps). Text that only compresses well (a sentence said
# three times, a refrain), mostly letters and said at this rate or slower, is what was said; a
# decoder loop crams text faster, or is not words at all ("& & & & ...").
SPEAKING_RATE_LIMIT = 20.0
# Whisper's segment times are coarse: any text gets this long before it counts as crammed.
MIN_SAYING_SECONDS = 0.5
# A vowel sign or other mark with no letter to sit on is written by no language; a decoder
# listing a script's signs writes many ("ू ु ी ृ ॉ ..."). A stray one or two is a typo.
LONE_MARKS = 3


def compression_ratio(text: str) -> float:
    """Whisper's measure: UTF-8 bytes over zlib-compressed bytes (0 for empty text)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def normalised_words(text: str) -> list[str]:
    """Words without punctuation, symbols or case ("है।" and "है" are one word). Not a \\w
    regex: it would split Devanagari words at their vowel signs (combining marks)."""
    kept = "".join(" " if unicodedata.category(c).startswith(("P", "S")) else c for c in text.casefold())
    return kept.split()


def word_key(text: str) -> str:
    """What a repeat of one word is compared on: its letters and digits, without punctuation,
    symbols or case ("Words," and "words." are one word)."""
    return "".join(normalised_words(text))


def repeat_count(keys: list[str], at: int, size: int) -> int:
    """How many times the `size` words from `at` occur in a row there (1: no repeat)."""
    unit = keys[at : at + size]
    count = 1
    while keys[at + count * size : at + (count + 1) * size] == unit:
        count += 1
    return count


def repeated_ngram(words: list[str], min_repeats: int = MIN_REPEATS, max_ngram: int = MAX_NGRAM) -> tuple[str, int] | None:
    """The first word or n-gram that occurs `min_repeats` or more times in a row, and how many
    times; None when there is none."""
    for size in range(1, max_ngram + 1):
        for start in range(len(words) - size * min_repeats + 1):
            count = repeat_count(words, start, size)
            if count >= min_repeats:
                return " ".join(words[start : start + size]), count
    return None


def find_loop(
    keys: list[str],
    at: int,
    min_repeats: int = MIN_REPEATS,
    longest: int = MAX_NGRAM,
    accept: Callable[[int, int], bool] | None = None,
) -> tuple[int, int] | None:
    """(size, repeats) of the shortest word sequence said `min_repeats` or more times in a row
    from `at` (keys as word_key gives them) that `accept(size, repeats)` takes (the subtitles
    stage asks is_loop), or None."""
    for size in range(1, longest + 1):
        if at + size * min_repeats > len(keys):
            return None
        if not all(keys[at : at + size]):
            continue  # punctuation alone ("...") is not a loop of words
        repeats = repeat_count(keys, at, size)
        if repeats >= min_repeats and (accept is None or accept(size, repeats)):
            return size, repeats
    return None


def said_at_a_speaking_rate(text: str, seconds: float) -> bool:
    """Mostly letters (vowel signs count), and no more of them than a person says in `seconds`."""
    characters = [c for c in text if not c.isspace()]
    letters = sum(1 for c in characters if c.isalpha() or unicodedata.category(c).startswith("M"))
    return seconds > 0 and letters * 2 >= len(characters) and len(characters) / seconds <= SPEAKING_RATE_LIMIT


def is_loop(repeats: int, text: str, seconds: float | None) -> bool:
    """Whether a word or phrase said `repeats` times in a row, as `text` over `seconds`, is a
    decoder loop: LOOP_REPEATS times or more at any rate; MIN_REPEATS times or more when said
    faster than a person speaks (SPEAKING_RATE_LIMIT), or with no time to judge by. "Words,
    words, words." said in a second and a half is speech."""
    if repeats < MIN_REPEATS:
        return False
    return repeats >= LOOP_REPEATS or seconds is None or not said_at_a_speaking_rate(text, seconds)


def looping_reason(text: str, seconds: float | None = None) -> str | None:
    """Why a segment's text is a loop ("repeats 'x' 5 times", "compression ratio 4.46"), or
    None when it is not. With the segment's length in `seconds`, text said at a speaking rate
    (see SPEAKING_RATE_LIMIT) that only compresses well, or repeats a word or phrase fewer than
    LOOP_REPEATS times, is no loop (is_loop)."""
    spoken = seconds is not None and said_at_a_speaking_rate(text, seconds)
    repeated = repeated_ngram(normalised_words(text))
    if repeated and is_loop(repeated[1], text, seconds):
        return f"repeats '{repeated[0]}' {repeated[1]} times"
    ratio = compression_ratio(text)
    if ratio > COMPRESSION_RATIO_LIMIT and not spoken:
        return f"compression ratio {ratio:.2f}"
    return None


def crammed_reason(text: str, seconds: float) -> str | None:
    """'52 characters in 0.38 s' when the text is more than twice what a person can say in
    `seconds` (at least MIN_SAYING_SECONDS): what a decoder invents past the speech
    ("भुभूपूू पुू कु पशू ..." in the last 0.4 s of a clip); None otherwise."""
    characters = sum(1 for c in text if not c.isspace())
    if characters > 2 * SPEAKING_RATE_LIMIT * max(seconds, MIN_SAYING_SECONDS):
        return f"{characters} characters in {seconds:.2f} s"
    return None


def not_words_reason(text: str) -> str | None:
    """'not words: 17 of 30 tokens are lone vowel signs or marks' when at least LONE_MARKS
    tokens, and a third of them, are marks with no letter; None otherwise."""
    tokens = normalised_words(text)
    lone = sum(all(unicodedata.category(c).startswith("M") for c in token) for token in tokens)
    if lone >= LONE_MARKS and lone * 3 >= len(tokens):
        return f"not words: {lone} of {len(tokens)} tokens are lone vowel signs or marks"
    return None
