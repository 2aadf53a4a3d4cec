"""Words as the language writes them (issue 28, item 3). faster-whisper splits a written word
into word tokens at ASCII punctuation ("well" "-known", "10" ".04", "www" ".spoken" "-tutorial"
".org", "l" "'orda"); each token that starts a word carries a leading space, a token continuing
one carries none, and the transcript keeps the words stripped with the segment's text whole.
The subtitles stage renders each such word whole ("well-known", "10.04", "l'orda") and never
breaks a line inside it, whether the spaces are read from the segment's text or (where the text
does not match the words) judged from the tokens alone."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from project import subtitle_style
from subtitles_workflow.cues import Style
from subtitles_workflow.repetition import word_key
from subtitles_workflow.subtitling import build_cues
from subtitles_workflow.words_as_written import words_of_segment
from subtitles_workflow.transcript import SCHEMA, make_segment, make_word

STYLE = Style(**subtitle_style())
# What faster-whisper 1.2's merge_punctuations appends to the word before (a "." or "," alone).
APPENDED = set("\"'.。,，!！?？:：”)]}、")


def whisper_tokens(written: str, extra_cuts: list[int] = ()) -> list[str]:
    """The word tokens faster-whisper makes of one written word: a new token at each ASCII
    punctuation character, a punctuation mark alone appended to the token before; the first
    token with its leading space. `extra_cuts` (positions in the word) split it further, as a
    backend splitting subwords otherwise would."""
    cuts = {i for i, char in enumerate(written) if i and char in string.punctuation and written[i - 1] != " "}
    if " " not in written:  # " - no" is one token: faster-whisper puts a dash on the word after
        cuts |= {i for i in extra_cuts if 0 < i < len(written)}
    pieces, last = [], 0
    for cut in sorted(cuts) + [len(written)]:
        pieces.append(written[last:cut])
        last = cut
    tokens: list[str] = []
    for piece in pieces:
        if tokens and piece in APPENDED:
            tokens[-1] += piece
        else:
            tokens.append(piece)
    tokens[0] = " " + tokens[0]
    return tokens


def segment_of(tokens: list[str], start: float = 0.0, step: float = 0.25, text: str | None = None, **extra) -> dict:
    """A segment as the asr stage writes it (make_word strips each token's leading space)."""
    words = [make_word(token, start + i * step, start + i * step + step - 0.02, 0.9) for i, token in enumerate(tokens)]
    end = start + len(tokens) * step
    segment = make_segment(1, start, end, "".join(tokens) if text is None else text, words, no_speech_prob=0.0)
    return {**segment, **extra}


def transcript_of(*segments: dict, language: str = "en") -> dict:
    return {"schema": SCHEMA, "language": language, "segments": list(segments)}


def tokens_of(text: str) -> list[str]:
    return [token for written in text.split(" ") for token in whisper_tokens(written)]


def cue_text(cues) -> str:
    return " ".join(line for cue in cues for line in cue.lines)


# ------------------------------------------------------------------------------- examples
# faster-whisper base's own word tokens and segment text for espeak-ng saying "This is a
# well-known brand, see Ubuntu 10.04 at www.spoken-tutorial.org, don't worry." (the asr stage's
# transcript, in the workflow on this checkout).
ESPEAK_TEXT = "This is a well-known brand, see Ubuntu 10.04 at www.pokentutorial.org, don't worry."
ESPEAK_WORDS = ["This", "is", "a", "well", "-known", "brand,", "see", "Ubuntu", "10", ".04", "at", "www",
                ".pokentutorial", ".org,", "don't", "worry."]  # fmt: skip


def test_hyphens_versions_and_urls_render_as_whisper_wrote_them():
    words = [" " + w if not w.startswith(".") and not w.startswith("-") else w for w in ESPEAK_WORDS]
    cues = build_cues(transcript_of(segment_of(words)), STYLE)
    assert cue_text(cues) == ESPEAK_TEXT


@pytest.mark.parametrize(
    "text",
    [
        "a well-known brand",
        "Ubuntu 10.04.",
        "see www.spoken-tutorial.org, today",
        "write to a.b@c.org now",
        "it is www/.spoken-tutorial.org",
        "and/or",
        "l'orda di università",
        "dell'anno scorso, c'è un'idea",
        "J'ai vu qu'on m'a dit",
        "you must've seen it, don't worry",
        "O'Brien paid 12,500 euros",
        "version 3.2.1 is the state-of-the-art",
    ],
)
def test_each_kind_of_joined_word_renders_as_written(text):
    cues = build_cues(transcript_of(segment_of(tokens_of(text))), STYLE)
    assert cue_text(cues) == text


@pytest.mark.parametrize(
    "text",
    ["a well-known brand", "Ubuntu 10.04.", "see www.spoken-tutorial.org, today", "write to a.b@c.org now",
     "l'orda di università", "dell'anno scorso", "you must've seen it", "it's 12,500", "version 3.2.1"],
)  # fmt: skip
def test_without_a_matching_segment_text_the_tokens_alone_say_what_joins(text):
    """A segment whose text does not match its words (or that the asr stage's repair rebuilt
    by joining its words with spaces) still renders the words as written."""
    tokens = tokens_of(text)
    for segment in (segment_of(tokens, text="(lost)"), segment_of(tokens, text=" ".join(t.strip() for t in tokens), redecoded="loop")):
        assert cue_text(build_cues(transcript_of(segment), STYLE)) == text


def test_a_line_never_breaks_inside_well_known():
    """The issue's case: "…on this well" / "-known UK brand website,"."""
    text = "Welcome to the spoken tutorial project on this well-known UK brand website, which is free."
    for width in range(12, 43):
        cues = build_cues(transcript_of(segment_of(tokens_of(text))), Style(**subtitle_style(max_line_chars=width)))
        assert any("well-known" in line.split() for cue in cues for line in cue.lines), (width, [c.lines for c in cues])
        assert not any(line.startswith("-known") for cue in cues for line in cue.lines)


def test_a_joined_word_spans_its_tokens_with_their_lowest_probability():
    segment = segment_of([" well", "-known"], start=1.0)
    segment["words"][1]["probability"] = 0.3
    (word,) = words_of_segment(segment, "en")
    assert (word.text, word.start, word.end, word.probability) == ("well-known", 1.0, 1.48, 0.3)


def test_spaces_whisper_wrote_stay():
    """A dash, option or quotation with a space before it is not part of the word before."""
    cases = {
        "type ls -l here": [" type", " ls", " -l", " here"],
        "yes - no": [" yes", " - no"],
        "he said 'hello' then": [" he", " said", " 'hello'", " then"],
        "minus -5 degrees": [" minus", " -5", " degrees"],
    }
    for text, tokens in cases.items():
        assert cue_text(build_cues(transcript_of(segment_of(tokens)), STYLE)) == text


def test_the_rules_alone_keep_dashes_and_quotations_apart():
    from subtitles_workflow.words_as_written import continues_word

    assert not continues_word("yes", "- no")
    assert not continues_word("a", "'special'")
    assert not continues_word("said", "'hello")
    assert not continues_word("it,", "-known")
    assert not continues_word("2010.", "2011")
    assert continues_word("l", "'orda") and continues_word("must", "'ve") and continues_word("10", ".04")
    assert continues_word("1", ",000") and not continues_word("one", ",000")


def test_hindi_danda_attaches_to_the_word_before():
    for tokens in ([" यह", " ब्रांड", " है", "।"], [" यह", " ब्रांड", " है", " ।"]):
        cues = build_cues(transcript_of(segment_of(tokens), language="hi"), STYLE)
        assert cue_text(cues) == "यह ब्रांड है।"


def test_a_language_written_without_spaces_is_not_joined_into_one_word():
    """Whisper writes Chinese with no spaces: reading joins from its text would make the whole
    segment one word no line could break."""
    tokens = [" 我", "们", "今", "天", "去", "北", "京", "看", "看", "朋", "友", "吧"]
    transcript = transcript_of(segment_of(tokens), language="zh")
    cues = build_cues(transcript, Style(**subtitle_style(max_line_chars=8)))
    assert max(len(line) for cue in cues for line in cue.lines) <= 8


# ------------------------------------------------------------------------------- properties
LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9)
NUMBER = st.integers(0, 999).map(str)
HINDI = st.sampled_from(["यह", "ब्रांड", "है", "वेबसाइट", "देखिए", "प्रसिद्ध", "सरकार", "में"])


@st.composite
def written_word(draw, fallback: bool = False) -> str:
    """One word as written: plain, hyphenated, a version or decimal, a URL, an e-mail address,
    a contraction or elision, a number in thousands, Hindi with or without a danda, a dash aside;
    sometimes with a comma or full stop after it. `fallback`: only the kinds the token rules
    alone can rejoin (no "https://")."""
    kinds = [
        LETTERS,
        st.lists(LETTERS, min_size=2, max_size=4).map("-".join),
        st.lists(NUMBER, min_size=2, max_size=4).map(".".join),
        st.tuples(LETTERS, LETTERS, st.sampled_from(["org", "com", "in"])).map(lambda p: f"www.{p[0]}-{p[1]}.{p[2]}"),
        st.tuples(LETTERS, LETTERS, LETTERS).map(lambda p: f"{p[0]}.{p[1]}@{p[2]}.org"),
        st.tuples(LETTERS, st.sampled_from(["'t", "'ve", "'s", "'ll", "'re", "'d", "'m", "’s"])).map("".join),
        st.tuples(st.sampled_from(["l", "d", "c", "qu", "dell", "nell", "all"]), LETTERS).map("'".join),
        st.tuples(st.integers(1, 999), st.integers(0, 999)).map(lambda p: f"{p[0]},{p[1]:03d}"),
        st.tuples(HINDI, st.sampled_from(["", "।"])).map("".join),
        LETTERS.map(lambda w: f"- {w}"),
    ]
    if not fallback:
        kinds.append(st.tuples(LETTERS, LETTERS).map(lambda p: f"https://{p[0]}.{p[1]}.org/"))
    word = draw(st.one_of(kinds))
    return word + draw(st.sampled_from(["", "", "", ",", "."]))


def written_text(fallback: bool = False):
    """Words no loop check can mistake for a repeat (each differs, punctuation and case aside)."""
    return st.lists(written_word(fallback), min_size=1, max_size=24, unique_by=word_key)


@st.composite
def transcript_of_text(draw, fallback: bool = False) -> tuple[str, dict]:
    """Written text split into segments at word boundaries, each word into Whisper-like tokens
    (the text path: also cut at random points inside a word), as the asr stage stores them."""
    written = draw(written_text(fallback))
    segments, start, at = [], 0.0, 0
    while at < len(written):
        size = draw(st.integers(1, 8))
        chunk = written[at : at + size]
        tokens: list[str] = []
        for word in chunk:
            cuts = [] if fallback else draw(st.lists(st.integers(1, max(1, len(word) - 1)), max_size=3))
            tokens += whisper_tokens(word, cuts)
        if fallback:
            # The repair's text (the words joined by spaces), or a text that is not the words.
            rebuilt = {"text": " ".join(t.strip() for t in tokens), "redecoded": "loop"}
            other = {"text": f"(segment {len(segments) + 1})"}
            segment = {**segment_of(tokens, start), **draw(st.sampled_from([rebuilt, other]))}
        else:
            segment = segment_of(tokens, start)
        segments.append({**segment, "id": len(segments) + 1})
        start += len(tokens) * 0.25 + draw(st.sampled_from([0.05, 0.4, 1.0]))
        at += size
    return " ".join(written), transcript_of(*segments)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcript_of_text())
def test_cue_text_is_the_written_text_whatever_the_tokens(case):
    """Read from the segment text: the cues, their lines joined by spaces, are the text."""
    text, transcript = case
    assert cue_text(build_cues(transcript, STYLE)) == text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcript_of_text(fallback=True))
def test_cue_text_is_the_written_text_from_the_tokens_alone(case):
    """Judged from the tokens (the segment text missing or rebuilt by the repair)."""
    text, transcript = case
    assert cue_text(build_cues(transcript, STYLE)) == text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(transcript_of_text(), transcript_of_text(fallback=True)), st.integers(8, 42), st.integers(1, 2))
def test_no_line_break_ever_splits_a_written_word(case, width, lines):
    """However narrow the lines, each line is whole written words: the words of all the lines
    in order are the text's words."""
    text, transcript = case
    cues = build_cues(transcript, Style(**subtitle_style(max_line_chars=width, max_lines=lines)))
    assert [word for cue in cues for line in cue.lines for word in line.split()] == text.split()
