"""A transcript into timed cues: its words, their speakers, cue spans, their timing and shot cuts,
in that order; with what the QC needs to know about how the cues were made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from subtitles_workflow.cue_timing import snap_to_cuts, time_cues
from subtitles_workflow.cue_words import words_from_transcript
from subtitles_workflow.cues import Cue, Loop, Style
from subtitles_workflow.function_words import for_language
from subtitles_workflow.segmentation import drop_repeated_spans, segment_words
from subtitles_workflow.speakers import assign_speakers


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
