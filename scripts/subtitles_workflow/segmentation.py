"""Words into cues: dynamic programming over word boundaries, so every cue obeys the hard limits
(lines, characters per line, duration) and breaks land on sentence ends and punctuation, away
from function words, where possible; and each cue's lines, balanced the same way."""

from __future__ import annotations

import logging

from subtitles_workflow.cues import Loop, Style, Word, graphemes
from subtitles_workflow.function_words import FunctionWords, for_language
from subtitles_workflow.punctuation import CLAUSE_END, SENTENCE_END
from subtitles_workflow.repetition import is_loop, normalised_words
from subtitles_workflow.sentence_ends import ends_sentence, is_name_pair

log = logging.getLogger("stage")


ENGLISH = for_language("en")


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


def drop_repeated_spans(spans: list[list[Word]], loops: list[Loop]) -> list[list[Word]]:
    """Keep one of the cues in a row with the same text where repetition.is_loop calls the run a
    loop (a loop across segments, the last safety net after the asr stage's own re-decoding; a
    sentence said three times at a speaking rate stays)."""
    kept: list[list[Word]] = []
    at = 0
    while at < len(spans):
        key = normalised_words(" ".join(w.text for w in spans[at]))
        run = 1
        while at + run < len(spans) and normalised_words(" ".join(w.text for w in spans[at + run])) == key:
            run += 1
        kept.append(spans[at])
        said = [word for span in spans[at : at + run] for word in span]
        if is_loop(run, " ".join(w.text for w in said), said[-1].end - said[0].start):
            text = " ".join(w.text for w in spans[at])
            loops.append(Loop(spans[at][0].start, text, run))
            log.info("dropped a cue repeated %d times in a row at %.2f s: %r", run, spans[at][0].start, text)
        else:
            kept.extend(spans[at + 1 : at + run])
        at += run
    return kept
