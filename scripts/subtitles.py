"""subtitles: segment the word-level transcript JSON into timed cues; render SRT, VTT or ASS.

Cues are chosen by dynamic programming over word boundaries, so every cue obeys the hard limits
(lines, characters per line, duration) and breaks land on sentence ends and punctuation where
possible. Timing follows the word timestamps. A QC report counts the cues over each limit.
No model runs here: restyling is cheap.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import math
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import regex

from subtitles_workflow.coverage import coverage_report, coverage_warning, spoken
from subtitles_workflow.function_words import FunctionWords, for_language
from subtitles_workflow.io import StageError, read_json, run_cli, setup_logging, write_json_atomic, write_text_atomic
from subtitles_workflow.picture import frames_per_second, picture_duration, picture_rate
from subtitles_workflow.punctuation import CLAUSE_END, SENTENCE_END
from subtitles_workflow.transcript import SCHEMA, TRANSLATION_SCHEMA, read_transcript
from subtitles_workflow.writing_systems import in_expected_script

log = logging.getLogger("stage")

# A word of one of these is "I", not the start of a sentence, when capitalised mid-text.
PRONOUN_I = {"i", "i'm", "i'll", "i've", "i'd", "i’m", "i’ll", "i’ve", "i’d"}
PUNCTUATION = regex.compile(r"[\p{P}\p{S}]+")


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float = 1.0
    speaker: str | None = None
    # True where a sentence ends after this word though the transcript has no punctuation.
    ends_sentence: bool = False


@dataclass(frozen=True)
class Loop:
    """Text dropped because the recogniser repeated it (a decoder loop), kept for the QC."""

    start: float
    text: str
    repeats: int


@dataclass
class Style:
    """The subtitles config block (config/schemas/config.schema.yaml describes each field and
    holds its default), with max_cps resolved for one language by the rule and fps for one
    film by main() (the film's own frame rate, else the configured one)."""

    max_lines: int
    max_line_chars: int
    max_cps: float
    min_duration: float
    max_duration: float
    fps: float
    min_gap_frames: int
    close_gap: float
    linger: float
    pause_break: float
    lead_in_frames: int
    max_start_delay: float
    min_flash: float
    sentence_pause: float
    min_word_step: float
    shot_snap_frames: int

    @property
    def min_gap(self) -> float:
        return self.min_gap_frames / self.fps

    @property
    def lead_in(self) -> float:
        return self.lead_in_frames / self.fps


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str] = field(default_factory=list)
    words: tuple[Word, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


GRAPHEME = regex.compile(r"\X")
ENGLISH = for_language("en")


@functools.lru_cache(maxsize=1 << 16)
def graphemes(text: str) -> int:
    """Displayed width in user-perceived characters (Devanagari marks do not count)."""
    return len(GRAPHEME.findall(text))


def ends_sentence(word: Word) -> bool:
    return word.ends_sentence or word.text.endswith(SENTENCE_END)


def loop_key(text: str) -> str:
    """What a repeat is compared on: the words without punctuation or case."""
    return PUNCTUATION.sub("", text).lower()


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


def repeat_count(keys: list[str], at: int, size: int) -> int:
    """How many times the `size` words from `at` occur in a row there (1: no repeat)."""
    unit = keys[at : at + size]
    count = 1
    while keys[at + count * size : at + (count + 1) * size] == unit:
        count += 1
    return count


def find_loop(keys: list[str], at: int, min_repeats: int, longest: int) -> tuple[int, int] | None:
    """(size, repeats) of the shortest word sequence said `min_repeats` or more times in a row
    from `at`, or None."""
    for size in range(1, longest + 1):
        if at + size * min_repeats > len(keys):
            return None
        if not all(keys[at : at + size]):
            continue  # punctuation alone ("...") is not a loop of words
        repeats = repeat_count(keys, at, size)
        if repeats >= min_repeats:
            return size, repeats
    return None


def drop_loops(words: list[Word], loops: list[Loop], min_repeats: int = 3, longest: int = 8) -> list[Word]:
    """Cut every word or n-gram said `min_repeats` or more times in a row to one occurrence
    (Whisper's decoder loops: "दिवा" 15 times). The kept copy takes the last copy's final
    punctuation, so a sentence end survives. What was dropped goes to `loops`."""
    words = list(words)
    keys = [loop_key(w.text) for w in words]
    at = 0
    while at < len(words):
        found = find_loop(keys, at, min_repeats, longest)
        if found is None:
            at += 1
            continue
        size, repeats = found
        kept_end, dropped_end = at + size, at + repeats * size
        text = " ".join(w.text for w in words[at:kept_end])
        loops.append(Loop(words[at].start, text, repeats))
        log.info("dropped a loop at %.2f s: %r said %d times in a row", words[at].start, text, repeats)
        last_kept, last_dropped = words[kept_end - 1], words[dropped_end - 1]
        tail = last_dropped.text[len(last_dropped.text.rstrip("".join(SENTENCE_END + CLAUSE_END))) :]
        if tail and not last_kept.text.endswith(SENTENCE_END + CLAUSE_END):
            words[kept_end - 1] = replace(last_kept, text=last_kept.text + tail)
        del words[kept_end:dropped_end], keys[kept_end:dropped_end]
    return words


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


def repair_timeline(words: list[Word], style: Style) -> list[Word]:
    """Word times a renderer can rely on, whatever upstream sent: no negative times, each word
    starting at least `min_word_step` after the one before (words stacked at one instant or
    out of order are spread forward), and no word ending before it starts."""
    repaired: list[Word] = []
    for word in words:
        start = max(word.start, 0.0)
        if repaired:
            start = max(start, repaired[-1].start + style.min_word_step)
        start = round(start, 3)
        end = round(max(word.end, start + style.min_word_step), 3)
        repaired.append(replace(word, start=start, end=end))
    return repaired


def words_from_transcript(transcript: dict[str, Any], style: Style, loops: list[Loop] | None = None) -> list[Word]:
    """All words in time order, after dropping what Whisper hallucinated, with times repaired.

    Dropped (and listed in `loops` where they are loops): a segment repeating the previous one
    verbatim, words or phrases said 3 times or more in a row (within or across segments), and a segment Whisper itself
    thinks is not speech while its words are near-random (music, noise). Segments are taken
    in order of their first word (translations can come back overlapping or out of order).
    """
    loops = loops if loops is not None else []
    language = transcript.get("language")
    segments = [(segment, words_of_segment(segment, language)) for segment in transcript.get("segments", [])]
    segments.sort(key=lambda pair: pair[1][0].start if pair[1] else math.inf)
    words: list[Word] = []
    previous_text = None
    for segment, seg_words in segments:
        text = segment.get("text", "").strip()
        if not seg_words:
            continue
        if text == previous_text:
            if loops and loops[-1].text == text:
                loops[-1] = replace(loops[-1], repeats=loops[-1].repeats + 1)
            else:
                loops.append(Loop(seg_words[0].start, text, 2))
            log.info("dropped a segment repeating the one before at %.2f s: %r", seg_words[0].start, text)
            continue
        mean_probability = sum(w.probability for w in seg_words) / len(seg_words)
        if segment.get("no_speech_prob", 0.0) > 0.6 and mean_probability < 0.3:
            log.info("dropped likely non-speech segment at %.2f s: %r", seg_words[0].start, text)
            continue
        previous_text = text
        words.extend(mark_sentence_ends(seg_words, style))
    # Loops are cut across segment ends too: a window can end inside one.
    return repair_timeline(drop_loops(words, loops), style)


def is_name_pair(left: str, right: str) -> bool:
    """Two capitalised words in a row ("Martin Luther", "New York") read as one name."""
    return left[:1].isupper() and right[:1].isupper() and not left.endswith(SENTENCE_END + CLAUSE_END)


def split_lines(words: list[str], style: Style, function_words: FunctionWords = ENGLISH) -> list[str] | None:
    """Best way to set `words` in at most `style.max_lines` lines, or None if impossible."""
    # Line widths from the words' widths (a space is a grapheme of its own): the segmenter
    # tries ~10 splits per word, and measuring each joined line took 80 % of the stage's time.
    widths = [graphemes(word) for word in words]
    total = sum(widths) + len(widths) - 1
    if total <= style.max_line_chars:
        return [" ".join(words)]
    if style.max_lines < 2:
        return None
    best: tuple[float, list[str]] | None = None
    top_len = -1
    for cut in range(1, len(words)):
        top_len += widths[cut - 1] + 1
        bottom_len = total - top_len - 1
        if max(top_len, bottom_len) > style.max_line_chars:
            continue
        top, bottom = " ".join(words[:cut]), " ".join(words[cut:])
        cost = abs(top_len - bottom_len) / style.max_line_chars
        if top_len > bottom_len:
            cost += 0.1  # prefer a bottom-heavy pyramid
        last = words[cut - 1]
        if last.endswith(SENTENCE_END + CLAUSE_END):
            cost -= 0.5
        if function_words.bad_end(last):
            cost += 2.0
        if function_words.bad_start(words[cut]):
            cost += 3.0  # a postposition or particle torn from its word
        if is_name_pair(last, words[cut]):
            cost += 1.0
        if cut == len(words) - 1 or cut == 1:
            cost += 0.3  # a one-word line looks orphaned
        if best is None or cost < best[0]:
            best = (cost, [top, bottom])
    return best[1] if best else None


def cue_cost(
    span: list[Word], lines: list[str], next_word: Word | None, style: Style, function_words: FunctionWords = ENGLISH
) -> float:
    """Penalty of making `span` one cue; lower is better. Each cue costs 1 (prefer fewer)."""
    cost = 1.0
    last = span[-1].text
    if next_word is not None:
        if ends_sentence(span[-1]):
            pass
        elif last.endswith(CLAUSE_END):
            cost += 0.5
        else:
            cost += 2.0
            if function_words.bad_end(last) or is_name_pair(last, next_word.text):
                cost += 3.0
            if function_words.bad_start(next_word.text):
                cost += 4.0
        if next_word.start - span[-1].end >= style.pause_break:
            cost -= 0.5  # a pause is a natural break
        # Too little time before the next cue to read this one: better merged with it.
        available = next_word.start - span[0].start - style.min_gap
        if available < style.min_duration:
            cost += 3.0 * (1.0 - max(available, 0.0) / style.min_duration)
    for a, b in zip(span, span[1:]):
        if ends_sentence(a):
            cost += 1.5  # a sentence end inside a cue: better as a cue break
        if b.start - a.end >= style.pause_break:
            cost += 3.0  # a long pause inside a cue leaves text on screen over silence
    duration = max(span[-1].end - span[0].start, style.min_duration)
    chars = sum(graphemes(line) for line in lines)
    if chars / duration > style.max_cps:
        cost += 2.0 * (chars / duration / style.max_cps - 1.0)
    if len(lines) > 1:
        cost += 0.2
        # A line break split_lines could only make after a function word: another cut of the
        # cues may not need one.
        for top, bottom in zip(lines, lines[1:]):
            if function_words.bad_end(top.split()[-1]) or function_words.bad_start(bottom.split()[0]):
                cost += 4.0
    return cost


def lines_of(span: list[Word], style: Style, function_words: FunctionWords = ENGLISH) -> list[str]:
    """The lines of one cue; a single word too long for a line still has to be shown."""
    texts = [w.text for w in span]
    return split_lines(texts, style, function_words) or [" ".join(texts)]


def segment_words(words: list[Word], style: Style, function_words: FunctionWords = ENGLISH) -> list[list[Word]]:
    """Partition `words` into cue spans by dynamic programming (minimum total cost)."""
    n = len(words)
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    # The lead-in counts: a span this long would not fit max_duration once it starts early.
    longest = style.max_duration - style.lead_in
    for end in range(1, n + 1):
        for begin in range(end - 1, -1, -1):
            span = words[begin:end]
            if end - begin > 1 and span[-1].end - span[0].start > longest:
                break
            if end - begin > 1 and span[0].speaker != span[1].speaker:
                break  # a change of speaker always starts a new cue
            lines = split_lines([w.text for w in span], style, function_words)
            if lines is None:
                if end - begin == 1:  # a single over-long word: it still has to be shown
                    lines = [span[0].text]
                else:
                    break
            nxt = words[end] if end < n else None
            total = best[begin] + cue_cost(span, lines, nxt, style, function_words)
            if total < best[end]:
                best[end], back[end] = total, begin
    spans: list[list[Word]] = []
    end = n
    while end > 0:
        spans.append(words[back[end] : end])
        end = back[end]
    spans.reverse()
    if log.isEnabledFor(logging.DEBUG):
        end = 0
        for number, span in enumerate(spans, start=1):
            end += len(span)
            log.debug(
                "cue %d: words %d-%d, %.2f-%.2f s, %s (cost %.2f)", number, end - len(span) + 1, end, span[0].start,
                span[-1].end, cue_break(span, words[end] if end < n else None, style), best[end] - best[end - len(span)],
            )  # fmt: skip
    return spans


def cue_break(span: list[Word], next_word: Word | None, style: Style) -> str:
    """Why segment_words ended a cue after `span` (for its DEBUG line)."""
    if next_word is None:
        return "the last words"
    gap = next_word.start - span[-1].end
    if next_word.speaker != span[-1].speaker:
        return "ends at a change of speaker"
    if ends_sentence(span[-1]):
        return "ends at a sentence end"
    if span[-1].text.endswith(CLAUSE_END):
        return "ends at a clause end"
    if gap >= style.pause_break:
        return f"ends at a pause of {gap:.2f} s"
    if next_word.end - span[0].start > style.max_duration - style.lead_in:
        return "ends mid-clause: one more word would last past max_duration"
    return "ends mid-clause: the cheapest cut (line lengths, reading speed, the cues around)"


def drop_repeated_spans(spans: list[list[Word]], loops: list[Loop], min_repeats: int = 3) -> list[list[Word]]:
    """Keep one of `min_repeats` or more cues in a row with the same text (a loop across
    segments, the last safety net after the asr stage's own re-decoding)."""
    kept: list[list[Word]] = []
    at = 0
    while at < len(spans):
        key = loop_key(" ".join(w.text for w in spans[at]))
        run = 1
        while at + run < len(spans) and loop_key(" ".join(w.text for w in spans[at + run])) == key:
            run += 1
        kept.append(spans[at])
        if run >= min_repeats:
            text = " ".join(w.text for w in spans[at])
            loops.append(Loop(spans[at][0].start, text, run))
            log.info("dropped a cue repeated %d times in a row at %.2f s: %r", run, spans[at][0].start, text)
        else:
            kept.extend(spans[at + 1 : at + run])
        at += run
    return kept


def time_cues(spans: list[list[Word]], style: Style, function_words: FunctionWords = ENGLISH) -> list[Cue]:
    """Start each cue `lead_in` before its first word; end it a little after its last word
    (longer only when the minimum duration or reading speed needs it), keeping the minimum gap
    to the next cue and closing gaps too short to notice. Cues never overlap and come in order
    whatever the word times: a cue starts no earlier than the minimum gap after the one before;
    one too short for min_duration delays the next by up to `max_start_delay`; none is ever
    shorter than `min_flash` nor longer than `max_duration`.

    Computed in whole milliseconds (what SRT/VTT store), limits rounded up, so the rendered
    file itself meets them."""

    def ms(seconds: float) -> int:
        return round(seconds * 1000)

    def ms_at_least(seconds: float) -> int:
        return math.ceil(seconds * 1000 - 1e-6)

    min_gap, min_duration = ms_at_least(style.min_gap), ms_at_least(style.min_duration)
    max_duration, lead_in = ms(style.max_duration), ms(style.lead_in)
    cues: list[Cue] = []
    previous_end: int | None = None
    for index, span in enumerate(spans):
        start, last_end = max(ms(span[0].start) - lead_in, 0), ms(span[-1].end)
        if previous_end is not None:
            start = max(start, previous_end + min_gap)
        lines = lines_of(span, style, function_words)
        # Shortest time this cue needs on screen: the minimum duration, or its reading time.
        needed = max(min_duration, ms_at_least(sum(graphemes(line) for line in lines) / style.max_cps))
        end = min(max(last_end + ms(style.linger), start + needed), start + max_duration)
        if index + 1 < len(spans):
            next_first = ms(spans[index + 1][0].start)
            limit = max(next_first - lead_in, 0) - min_gap
            if limit - end < ms(style.close_gap):
                end = limit  # a flicker-short gap: hold this cue until just before the next
            if end - start < min_duration:  # the next cue comes too soon: delay it a little
                end = max(end, min(start + min_duration, next_first + ms(style.max_start_delay) - min_gap))
        end = min(max(end, start + ms_at_least(style.min_flash)), start + max_duration)
        log.debug(
            "cue %d timed %d-%d ms: first word %d ms, start %+d ms from it (lead-in %d, gap after the cue before);"
            " last word ends %d ms, end %+d ms from it (linger %d, %d ms needed on screen, the next cue, max %d)",
            index + 1, start, end, ms(span[0].start), start - ms(span[0].start), lead_in, last_end, end - last_end,
            ms(style.linger), needed, max_duration,
        )  # fmt: skip
        cues.append(Cue(start=start / 1000, end=end / 1000, lines=lines, words=tuple(span)))
        previous_end = end
    return cues


def nearest_cut(moment: int, cuts: list[int], window: int) -> int | None:
    """The cut (ms) nearest to `moment` (ms), if it is at most `window` ms away."""
    near = [cut for cut in cuts if abs(cut - moment) <= window]
    return min(near, key=lambda cut: abs(cut - moment)) if near else None


def snap_to_cuts(cues: list[Cue], cuts: list[float], style: Style) -> list[Cue]:
    """Move a cue start within `shot_snap_frames` of a shot cut onto the cut, and such an end to
    the minimum gap before the cut (a subtitle should not straddle a cut by a few frames).
    A move that would break a rule time_cues kept is not made: cues stay in order with the
    minimum gap, no cue becomes shorter than the minimum duration (or than it was, if it
    already was) nor longer than the maximum (or than it was). Times in whole ms, as in
    time_cues."""
    if not cues or not cuts:
        return cues

    def ms(seconds: float) -> int:
        return round(seconds * 1000)

    min_gap = math.ceil(style.min_gap * 1000 - 1e-6)
    min_duration = math.ceil(style.min_duration * 1000 - 1e-6)
    window = ms(style.shot_snap_frames / style.fps)
    cut_ms = sorted({ms(cut) for cut in cuts})

    def fits(start: int, end: int, old_start: int, old_end: int) -> bool:
        old = old_end - old_start
        return min(old, min_duration) <= end - start <= max(old, ms(style.max_duration))

    snapped: list[Cue] = []
    for index, cue in enumerate(cues):
        old_start, old_end = start, end = ms(cue.start), ms(cue.end)
        earliest = ms(snapped[-1].end) + min_gap if snapped else 0
        latest = ms(cues[index + 1].start) - min_gap if index + 1 < len(cues) else None
        cut = nearest_cut(start, cut_ms, window)
        if cut is not None and cut >= earliest and fits(cut, end, old_start, old_end):
            start = cut
        cut = nearest_cut(end, cut_ms, window)
        if cut is not None:
            before_cut = cut - min_gap
            if (latest is None or before_cut <= latest) and fits(start, before_cut, old_start, old_end):
                end = before_cut
        snapped.append(replace(cue, start=start / 1000, end=end / 1000))
    return snapped


def assign_speakers(words: list[Word], turns: list[dict[str, Any]]) -> list[Word]:
    """Give each word the speaker whose turn overlaps it most (the nearest turn if none does),
    and mark the first word after each change of speaker with a leading dash."""
    if not turns:
        return words

    def speaker_of(word: Word) -> str:
        def overlap(turn: dict[str, Any]) -> float:
            return min(word.end, turn["end"]) - max(word.start, turn["start"])

        return str(max(turns, key=overlap)["speaker"])

    labelled, previous = [], None
    for word in words:
        speaker = speaker_of(word)
        text = f"- {word.text}" if previous is not None and speaker != previous else word.text
        labelled.append(replace(word, text=text, speaker=speaker))
        previous = speaker
    return labelled


@dataclass
class Subtitles:
    """The cues of one file, with what the QC needs to know about how they were made."""

    cues: list[Cue]
    loops: list[Loop]
    language: str | None


def build_subtitles(
    transcript: dict[str, Any],
    style: Style,
    turns: list[dict[str, Any]] | None = None,
    cuts: list[float] | None = None,
) -> Subtitles:
    language = transcript.get("language")
    function_words = for_language(language or "en")  # the rules before languages had lists
    loops: list[Loop] = []
    words = assign_speakers(words_from_transcript(transcript, style, loops), turns or [])
    spans = drop_repeated_spans(segment_words(words, style, function_words), loops)
    cues = snap_to_cuts(time_cues(spans, style, function_words), cuts or [], style)
    return Subtitles(cues, loops, language)


def build_cues(transcript: dict[str, Any], style: Style, turns: list[dict[str, Any]] | None = None) -> list[Cue]:
    return build_subtitles(transcript, style, turns).cues


def render_srt(cues: list[Cue]) -> str:
    import pysrt

    subs = pysrt.SubRipFile()
    for index, cue in enumerate(cues, start=1):
        subs.append(
            pysrt.SubRipItem(
                index=index,
                start=pysrt.SubRipTime.from_ordinal(int(round(cue.start * 1000))),
                end=pysrt.SubRipTime.from_ordinal(int(round(cue.end * 1000))),
                text=cue.text,
            )
        )
    return "\n".join(str(item) for item in subs) if len(subs) else ""


def render_vtt(cues: list[Cue]) -> str:
    """WebVTT by pysubs2, which numbers the cues; `&`, `<` and `>` are escaped first (VTT
    reads them as markup) and SSA tags kept as they are (no `{...}` is dropped)."""
    import pysubs2

    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    subs = pysubs2.SSAFile()
    for cue in cues:
        text = r"\N".join(escape(line) for line in cue.lines)
        subs.append(pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000), text=text))
    return subs.to_string("vtt", keep_ssa_tags=True)


@dataclass
class AssStyle:
    """The ass_style config block (the schema holds the defaults): the ASS [V4+ Styles] line,
    for players and for burn-in (ffmpeg's subtitles filter)."""

    font: str
    font_size: int
    primary_colour: str
    outline_colour: str
    back_colour: str
    bold: bool
    outline: float
    shadow: float
    margin_v: int


# Sizes in ass_style are for this frame; players scale them to the video.
PLAY_RES = (1920, 1080)


def ass_centiseconds(seconds: float, round_up: bool = False) -> int:
    """ASS keeps centiseconds: starts round up and ends down, so gaps never shrink."""
    return math.ceil(seconds * 100 - 1e-6) if round_up else math.floor(seconds * 100 + 1e-6)


def ass_escape(text: str) -> str:
    """Braces start override blocks and backslashes escapes in ASS; show them as look-alikes."""
    return text.replace("\\", "\uff3c").replace("{", "\uff5b").replace("}", "\uff5d")


def render_ass(cues: list[Cue], st: AssStyle) -> str:
    """ASS by pysubs2. Times go in already on whole centiseconds (rounded as
    ass_centiseconds says), so pysubs2's own rounding to the nearest one changes nothing."""
    import pysubs2
    from pysubs2.formats.substation import rgba_to_color

    subs = pysubs2.SSAFile()
    subs.info = {
        "ScriptType": "v4.00+",
        "PlayResX": str(PLAY_RES[0]),
        "PlayResY": str(PLAY_RES[1]),
        "WrapStyle": "2",  # our line breaks only: the segmenter already balanced them
        "ScaledBorderAndShadow": "yes",
    }
    subs.styles = {
        "Default": pysubs2.SSAStyle(
            fontname=st.font,
            fontsize=st.font_size,
            primarycolor=rgba_to_color(st.primary_colour),
            secondarycolor=rgba_to_color("&H000000FF"),
            outlinecolor=rgba_to_color(st.outline_colour),
            backcolor=rgba_to_color(st.back_colour),
            bold=st.bold,
            outline=st.outline,
            shadow=st.shadow,
            alignment=pysubs2.Alignment.BOTTOM_CENTER,
            marginl=80,
            marginr=80,
            marginv=st.margin_v,
            encoding=1,
        )
    }
    for cue in cues:
        start, end = ass_centiseconds(cue.start, round_up=True), ass_centiseconds(cue.end)
        text = "\\N".join(ass_escape(line) for line in cue.lines)
        subs.append(pysubs2.SSAEvent(start=start * 10, end=end * 10, text=text))
    return subs.to_string("ass", header_notice="")


# What the QC counts. Format rules the renderer enforces; what a viewer would reject besides;
# and notes that are not faults (speech faster than any timing can show, a cue ended early so
# the next one can start).
FORMAT_KINDS = ("line_chars", "line_count", "cps", "duration_short", "duration_long", "gap")
# uncovered_speech: a stretch of speech under no cue (subtitles_workflow/coverage.py); a segment the
# asr stage dropped is a note, the speech it leaves without a cue is counted as uncovered.
# language_guessed: the spoken language was detected below asr.language_threshold and the film
# decoded in asr.language_fallback (the transcript's language_warning).
VIEWER_KINDS = (
    "loops",
    "wrong_script",
    "low_confidence",
    "off_speech",
    "uncovered_speech",
    "function_word_breaks",
    "language_guessed",
)
# low_confidence_word: a word Whisper gave less than MIN_WORD_PROBABILITY (likely misheard);
# past_end: a cue that ran past the end of the film, trimmed to it (trim_to_media_end).
NOTE_KINDS = (
    "cps_speech_too_fast",
    "end_cut_by_next",
    "end_cut_by_max_duration",
    "dropped_segment",
    "low_confidence_word",
    "past_end",
)
MIN_CONFIDENCE = 0.5
# Measured on the English fixtures with references (base model, 927 words, 7.4 % wrong): of the
# words under 0.3, 60 % are wrong (1.1 % of all words flagged); between 0.3 and 0.5, 41 %; over
# 0.9, 2 %. Under 0.3 a word is more likely misheard than not.
MIN_WORD_PROBABILITY = 0.3
OFF_SPEECH_FRAMES = 3


def function_word_breaks(cue: Cue, function_words: FunctionWords) -> int:
    """Line ends of the cue (its last line's end is the cue's end) that fall after a word
    belonging with the next line, plus lines starting with a word belonging with the last."""
    ends = sum(function_words.bad_end(line.split()[-1]) for line in cue.lines if line.split())
    starts = sum(function_words.bad_start(line.split()[0]) for line in cue.lines if line.split())
    return ends + starts


def distance_to_speech(moment: float, regions: list[list[float]]) -> float:
    """Seconds from `moment` to the nearest speech region (0 inside one)."""
    return min((max(start - moment, moment - end, 0.0) for start, end in regions), default=math.inf)


def off_speech(cue: Cue, regions: list[list[float]], tolerance: float, start_tolerance: float | None = None) -> bool:
    """The cue appears more than `start_tolerance` (default `tolerance`), or its speech ends
    more than `tolerance`, from any speech: its last word's end is what is checked, as the
    linger after it is allowed to run into silence."""
    speech_end = min(cue.end, cue.words[-1].end) if cue.words else cue.end
    start_tolerance = tolerance if start_tolerance is None else start_tolerance
    return distance_to_speech(cue.start, regions) > start_tolerance or distance_to_speech(speech_end, regions) > tolerance


def passage_too_fast(cue: Cue, previous: Cue | None, following: Cue | None, style: Style) -> bool:
    """Whether the cue with its neighbours reads over the limit even spread over all their
    time: then no other split of their words helps."""
    passage = [c for c in (previous, cue, following) if c is not None]
    chars = sum(graphemes(line) for c in passage for line in c.lines)
    return chars / max(passage[-1].end - passage[0].start, 1e-3) > style.max_cps + 1e-6


def cue_problems(
    cue: Cue,
    following: Cue | None,
    style: Style,
    language: str | None,
    regions: list[list[float]] | None,
    cuts: list[float] | None = None,
    previous: Cue | None = None,
) -> list[str]:
    """The kinds of problem (FORMAT_KINDS, VIEWER_KINDS, NOTE_KINDS) one cue has, by name;
    a kind listed n times counts n times (function_word_breaks). Reading speed over the limit
    is a note (`cps_speech_too_fast`) only when neither the cue's timing nor another split of
    it with its neighbours could bring it under: the speech itself is too fast."""
    min_gap = math.ceil(style.min_gap * 1000 - 1e-6) / 1000
    min_duration = math.ceil(style.min_duration * 1000 - 1e-6) / 1000
    chars = sum(graphemes(line) for line in cue.lines)
    duration = cue.end - cue.start
    found = []
    if any(graphemes(line) > style.max_line_chars for line in cue.lines):
        found.append("line_chars")
    if len(cue.lines) > style.max_lines:
        found.append("line_count")
    if chars / max(duration, 1e-3) > style.max_cps + 1e-6:
        latest = cue.start + style.max_duration
        if following is not None:
            latest = min(latest, following.start - min_gap)
        too_fast = chars / max(latest - cue.start, 1e-3) > style.max_cps + 1e-6
        found.append("cps_speech_too_fast" if too_fast and passage_too_fast(cue, previous, following, style) else "cps")
    if duration < min_duration - 1e-6:
        found.append("duration_short")
    if duration > style.max_duration + 1e-6:
        found.append("duration_long")
    if following is not None and following.start - cue.end < min_gap - 1e-6:
        found.append("gap")
    if cue.words and cue.end < cue.words[-1].end - 1e-3:
        cut_by_next = following is not None and following.start - cue.end <= min_gap + 1e-3
        found.append("end_cut_by_next" if cut_by_next else "end_cut_by_max_duration")
    if language and in_expected_script(cue.text, language) is False:
        found.append("wrong_script")
    if cue.words and sum(w.probability for w in cue.words) / len(cue.words) < MIN_CONFIDENCE:
        found.append("low_confidence")
    tolerance = OFF_SPEECH_FRAMES / style.fps + 1e-6
    # A start snapped onto a shot cut may lead the speech by up to the snap window, on purpose.
    on_cut = any(abs(cue.start - cut) < 0.0015 for cut in cuts or [])
    start_tolerance = tolerance + style.shot_snap_frames / style.fps if on_cut else tolerance
    if regions is not None and off_speech(cue, regions, tolerance, start_tolerance):
        found.append("off_speech")
    found += ["function_word_breaks"] * function_word_breaks(cue, for_language(language or "en"))
    return found


def problem_detail(
    kind: str, cue: Cue, following: Cue | None, style: Style, regions: list[list[float]] | None
) -> dict[str, Any]:
    """Which edge of the cue a problem is at (start, end or None for the whole cue), by how
    many seconds it misses, and the measure it came from."""
    chars = sum(graphemes(line) for line in cue.lines)
    duration = cue.end - cue.start
    if kind in ("cps", "cps_speech_too_fast"):
        return {"edge": "end", "offset_s": round(chars / style.max_cps - duration, 3),
                "measure": f"{chars / max(duration, 1e-3):.1f} characters/s > {style.max_cps}"}  # fmt: skip
    if kind == "duration_short":
        return {"edge": "end", "offset_s": round(style.min_duration - duration, 3), "measure": f"{duration:.3f} s < {style.min_duration} s"}
    if kind == "duration_long":
        return {"edge": "end", "offset_s": round(duration - style.max_duration, 3), "measure": f"{duration:.3f} s > {style.max_duration} s"}
    if kind == "gap" and following is not None:
        gap = following.start - cue.end
        return {"edge": "end", "offset_s": round(style.min_gap - gap, 3), "measure": f"gap {gap:.3f} s < {style.min_gap:.3f} s"}
    if kind == "off_speech" and regions is not None:
        speech_end = min(cue.end, cue.words[-1].end) if cue.words else cue.end
        start_off, end_off = distance_to_speech(cue.start, regions), distance_to_speech(speech_end, regions)
        edge, offset = ("start", start_off) if start_off >= end_off else ("end", end_off)
        return {"edge": edge, "offset_s": round(offset, 3),
                "measure": f"{edge} {offset:.3f} s from the nearest speech (silero and the signal), tolerance {OFF_SPEECH_FRAMES} frames"}  # fmt: skip
    if kind.startswith("end_cut") and cue.words:
        return {"edge": "end", "offset_s": round(cue.words[-1].end - cue.end, 3), "measure": "the last word ends after the cue"}
    if kind == "low_confidence" and cue.words:
        mean = sum(w.probability for w in cue.words) / len(cue.words)
        return {"edge": None, "offset_s": None, "measure": f"mean word probability {mean:.2f} < {MIN_CONFIDENCE}"}
    if kind == "line_chars":
        longest = max(graphemes(line) for line in cue.lines)
        return {"edge": None, "offset_s": None, "measure": f"{longest} characters > {style.max_line_chars}"}
    return {"edge": None, "offset_s": None, "measure": kind.replace("_", " ")}


def trim_to_media_end(cues: list[Cue], media_end: float | None) -> tuple[list[Cue], list[dict[str, Any]]]:
    """The cues cut at the end of the film (none starts after it), and a `past_end` note for
    each cue that ran past it: a linger or minimum duration must not outlast the picture."""
    if media_end is None:
        return cues, []
    kept, notes = [], []
    for index, cue in enumerate(cues):
        if cue.end <= media_end + 1e-3:
            kept.append(cue)
            continue
        notes.append({"cue": index + 1, "kind": "past_end", "start": cue.start, "text": cue.text, "edge": "end",
                      "offset_s": round(cue.end - media_end, 3), "measure": f"ended at {cue.end:.3f} s, the film at {media_end:.3f} s"})  # fmt: skip
        if cue.start < media_end - 1e-3:
            kept.append(replace(cue, end=round(media_end, 3)))
    return kept, notes


def quality_report(
    cues: list[Cue],
    style: Style,
    language: str | None = None,
    loops: list[Loop] | None = None,
    speech_regions: list[list[float]] | None = None,
    cuts: list[float] | None = None,
    transcript: dict[str, Any] | None = None,
    trimmed: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Count each kind of problem, per cue. A reading-speed violation is `cps_speech_too_fast`
    when even the longest time the cue could stay up (to the next cue, or max duration) is too
    short: the speech itself is faster than the limit and no timing can fix it. `loops` are
    those dropped on the way (so a loop is visible even though no cue shows it); `off_speech`
    is only checked when the transcript has `speech_regions`. `problems` counts everything a
    viewer would notice: format violations and viewer problems; the notes are not counted.
    With the `transcript`, speech under no cue and the segments the asr stage dropped are
    measured too (subtitles_workflow/coverage.py: uncovered_speech_s, speech_covered_share).
    Each violation says which edge of the cue is wrong and by how much (`edge`, `offset_s`)
    where that applies, and the measure it came from (`measure`); `trimmed` are the cues
    trim_to_media_end cut at the film's end."""
    violations: list[dict[str, Any]] = [
        {"cue": None, "kind": "loops", "start": loop.start, "text": f"{loop.text} (x{loop.repeats}, dropped)"}
        for loop in loops or []
    ]
    for index, cue in enumerate(cues):
        following = cues[index + 1] if index + 1 < len(cues) else None
        previous = cues[index - 1] if index else None
        for kind in cue_problems(cue, following, style, language, speech_regions, cuts, previous):
            detail = problem_detail(kind, cue, following, style, speech_regions)
            violations.append({"cue": index + 1, "kind": kind, "start": cue.start, "text": cue.text, **detail})
        violations += [
            {"cue": index + 1, "kind": "low_confidence_word", "start": word.start, "text": word.text,
             "edge": None, "offset_s": None, "measure": f"probability {word.probability:.2f} < {MIN_WORD_PROBABILITY}"}
            for word in cue.words
            if word.probability < MIN_WORD_PROBABILITY
        ]  # fmt: skip
    violations += trimmed or []
    warning = (transcript or {}).get("language_warning")
    if warning:
        violations.append({"cue": None, "kind": "language_guessed", "start": 0.0, "text": "", "edge": None, "offset_s": None, "measure": warning})
    coverage = coverage_report(transcript, [(c.start, c.end) for c in cues]) if transcript is not None else None
    if coverage:
        violations += coverage.pop("violations")
    counts = {kind: sum(v["kind"] == kind for v in violations) for kind in FORMAT_KINDS + VIEWER_KINDS + NOTE_KINDS}
    format_violations = sum(counts[kind] for kind in FORMAT_KINDS)
    viewer_problems = sum(counts[kind] for kind in VIEWER_KINDS)
    line_ends = sum(len(c.lines) for c in cues)
    return {
        "cues": len(cues),
        "language": language,
        "limits": asdict(style),
        "counts": counts,
        "note_kinds": list(NOTE_KINDS),  # counted, not problems (the run's summary leaves them out)
        "language_warning": warning or None,
        "decoder_peak_rss_mb": (transcript or {}).get("decoder_peak_rss_mb"),
        "format_violations": format_violations,
        "viewer_problems": viewer_problems,
        "problems": format_violations + viewer_problems,
        "line_ends": line_ends,
        "function_word_break_share": round(counts["function_word_breaks"] / line_ends, 4) if line_ends else 0.0,
        "speech_regions_checked": speech_regions is not None,
        "max_cps_seen": round(max((sum(graphemes(l) for l in c.lines) / max(c.end - c.start, 1e-3) for c in cues), default=0.0), 2),
        **(coverage or {}),
        "violations": violations,
    }


def qc_summary(path: Path, report: dict[str, Any]) -> str:
    """One log line: the number of problems, which kinds, and the notes apart."""

    def listed(kinds: tuple[str, ...]) -> str:
        return ", ".join(f"{kind} {report['counts'][kind]}" for kind in kinds if report["counts"][kind])

    problems, notes = listed(FORMAT_KINDS + VIEWER_KINDS), listed(NOTE_KINDS)
    return (
        f"qc {path.name}: {report['cues']} cues, {report['problems']} problems"
        + (f" ({problems})" if problems else "")
        + (f"; notes: {notes}" if notes else "")
    )


def render(cues: list[Cue], fmt: str, ass_style: AssStyle | None) -> str:
    if fmt == "srt":
        return render_srt(cues)
    if fmt == "vtt":
        return render_vtt(cues)
    if fmt == "ass":
        return render_ass(cues, ass_style)
    raise StageError(f"unknown subtitle format {fmt!r}; use srt, vtt or ass")


FORMATS = ("srt", "vtt", "ass")


def film_frame_rate(film: Path) -> float | None:
    """The film's nominal frame rate, to 3 decimals; None when it has no picture or no rate."""
    rate = picture_rate(film, f"{film}: not readable for its frame rate", "check the file is complete and readable")
    return frames_per_second(rate)


def media_end(transcript: dict[str, Any], film: Path | None) -> float | None:
    """Where the film ends: its audio (the transcript's duration), or its picture when that
    ends first."""
    ends = [transcript.get("duration")]
    if film:
        ends.append(picture_duration(film, f"{film}: not readable for its duration", "check the file is complete and readable"))
    ends = [end for end in ends if end]
    return min(ends) if ends else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcript", type=Path, required=True, help="word-level JSON (asr or translate)")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument("--style", required=True, help='JSON object of Style fields, plus "ass": AssStyle fields for .ass')
    parser.add_argument("--qc", type=Path, help="write the quality report (JSON) here")
    # nargs="?": the rule passes the flag with no value when the diarize stage is off.
    parser.add_argument("--speakers", type=Path, nargs="?", help="speaker turns JSON from the diarize stage")
    # nargs="?" too: the flag comes with no value for audio-only films or with the shots stage off.
    parser.add_argument("--shots", type=Path, nargs="?", help="shot cuts JSON from the shots stage")
    # nargs="?" too: no value for audio-only films, which keep the style's (configured) fps.
    parser.add_argument("--film", type=Path, nargs="?", help="the film, whose frame rate replaces the style's fps")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    transcript = read_transcript(args.transcript, (SCHEMA, TRANSLATION_SCHEMA))  # either renders
    style_fields = json.loads(args.style)
    # only .ass renders get the ass_style block (restyling ASS re-renders no SRT)
    ass_style = AssStyle(**style_fields.pop("ass")) if args.format == "ass" else None
    if args.film:
        style_fields["fps"] = film_frame_rate(args.film) or style_fields["fps"]
    style = Style(**style_fields)
    turns = read_json(args.speakers, "speaker turns")["turns"] if args.speakers else None
    cuts = read_json(args.shots, "shot cuts")["cuts"] if args.shots else None
    subtitles = build_subtitles(transcript, style, turns, cuts)
    cues, trimmed = trim_to_media_end(subtitles.cues, media_end(transcript, args.film))
    write_text_atomic(render(cues, args.format, ass_style), args.output)
    log.info("%s: %d cues", args.output, len(cues))
    if args.qc:
        # Speech by silero and by the asr stage's own detector (which hears what silero misses).
        speech = spoken(transcript)
        regions = [list(span) for span in speech[0]] if speech else None
        report = quality_report(cues, style, subtitles.language, subtitles.loops, regions, cuts, transcript, trimmed)
        write_json_atomic(report, args.qc)
        log.info("%s", qc_summary(args.output, report))
        warning = coverage_warning(args.output.name.rsplit(".", 2)[0], report)
        if warning:  # one plain line, as a stage's `error: ` line: for the run's summary
            log.warning("%s", warning)
            print(f"warning: {warning}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
