"""The quality report of one subtitle file: each cue's problems by kind (format rules, what a
viewer would reject, notes that are no fault), which edge of the cue and by how much, the loops
dropped on the way and the speech left without a cue."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from subtitles_workflow.coverage import coverage_report
from subtitles_workflow.cues import Cue, Loop, Style, graphemes
from subtitles_workflow.function_words import FunctionWords, for_language
from subtitles_workflow.writing_systems import in_expected_script

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
