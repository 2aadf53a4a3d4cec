"""When each cue shows: from its words' times, in whole milliseconds, with the lead-in, linger,
minimum gap and durations of the style; snapped to shot cuts; cut at the end of the film."""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any

from subtitles_workflow.cues import Cue, Style, Word, graphemes
from subtitles_workflow.function_words import FunctionWords
from subtitles_workflow.segmentation import ENGLISH, lines_of

log = logging.getLogger("stage")


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
