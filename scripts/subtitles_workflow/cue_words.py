"""The words the subtitles show, from the transcript: in time order, without what Whisper
hallucinated (a segment repeating the one before, decoder loops, near-random non-speech),
with sentence ends recovered and times a renderer can rely on."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any

from subtitles_workflow.cues import Loop, Style, Word
from subtitles_workflow.punctuation import CLAUSE_END, SENTENCE_END
from subtitles_workflow.repetition import find_loop, is_loop, word_key
from subtitles_workflow.sentence_ends import mark_sentence_ends
from subtitles_workflow.words_as_written import words_of_segment

log = logging.getLogger("stage")


@dataclass(frozen=True, eq=False)
class Saying:
    """A segment as the asr stage judged its repeats (repetition.looping_reason): its text and
    how long it lasts; seconds None where the transcript gives the segment no times."""

    text: str
    seconds: float | None


def run_as_said(run: list[Word], said_in: list[Saying] | None) -> tuple[str, float]:
    """The text and seconds a run of repeats is judged on: those of the segments it was said in,
    as the asr stage judged them (so what asr kept as speech stays), else the run's own."""
    said = list(dict.fromkeys(said_in)) if said_in else []
    if said and all(saying.seconds is not None for saying in said):
        return " ".join(saying.text for saying in said), sum(saying.seconds or 0.0 for saying in said)
    return " ".join(w.text for w in run), run[-1].end - run[0].start


def drop_loops(words: list[Word], loops: list[Loop], said_in: list[Saying] | None = None) -> list[Word]:
    """Cut every word or n-gram said again and again to one occurrence where
    repetition.is_loop calls it a loop (Whisper's decoder loops: "दिवा" 15 times; "Words, words,
    words." said at a speaking rate stays, as the asr stage keeps it), judged on the segments
    `said_in` (one per word) where given. The kept copy takes the last copy's final
    punctuation, so a sentence end survives. What was dropped goes to `loops`."""
    words, said_in = list(words), list(said_in) if said_in is not None else None
    keys = [word_key(w.text) for w in words]
    at = 0

    def run_loops(size: int, repeats: int) -> bool:
        end = at + size * repeats
        return is_loop(repeats, *run_as_said(words[at:end], said_in[at:end] if said_in else None))

    while at < len(words):
        found = find_loop(keys, at, accept=run_loops)
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
        if said_in is not None:
            del said_in[kept_end:dropped_end]
    return words


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
    verbatim, words or phrases repetition.is_loop calls a loop (within or across segments, judged
    on the segments they were said in, as the asr stage judges them), and a segment Whisper itself
    thinks is not speech while its words are near-random (music, noise). Segments are taken in
    order of their first word (translations can come back overlapping or out of order).
    """
    loops = loops if loops is not None else []
    language = transcript.get("language")
    segments = [(segment, words_of_segment(segment, language)) for segment in transcript.get("segments", [])]
    segments.sort(key=lambda pair: pair[1][0].start if pair[1] else math.inf)
    words: list[Word] = []
    said_in: list[Saying] = []
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
        seconds = segment["end"] - segment["start"] if "start" in segment and "end" in segment else None
        said_in += [Saying(segment.get("text", ""), seconds)] * len(seg_words)
    # Loops are cut across segment ends too: a window can end inside one.
    return repair_timeline(drop_loops(words, loops, said_in), style)
