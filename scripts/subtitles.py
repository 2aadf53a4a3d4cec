"""subtitles: segment the word-level transcript JSON into timed cues; render SRT, VTT or ASS.

Cues are chosen by dynamic programming over word boundaries, so every cue obeys the hard limits
(lines, characters per line, duration) and breaks land on sentence ends and punctuation where
possible. Timing follows the word timestamps. A QC report counts the cues over each limit.
No model runs here: restyling is cheap.

This file is the stage's command line: it reads the inputs, calls subtitles_workflow.subtitling
(words, segmentation, cue timing, shot snapping, speakers), renderers and subtitle_qc, and
writes the outputs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from subtitles_workflow.coverage import coverage_warning, spoken
from subtitles_workflow.cue_timing import trim_to_media_end
from subtitles_workflow.cues import Cue, Style
from subtitles_workflow.io import read_json, run_cli, setup_logging, write_json_atomic, write_text_atomic
from subtitles_workflow.picture import frames_per_second, picture_duration, picture_rate
from subtitles_workflow.renderers import FORMATS, AssStyle, render
from subtitles_workflow.subtitle_qc import qc_summary, quality_report
from subtitles_workflow.subtitling import Subtitles, build_subtitles
from subtitles_workflow.transcript import SCHEMA, TRANSLATION_SCHEMA, read_transcript

log = logging.getLogger("stage")


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


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
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
    return parser.parse_args(argv)


def read_style(args: argparse.Namespace) -> tuple[Style, AssStyle | None]:
    """The --style JSON as a Style, with the film's own frame rate, and its "ass" block as an
    AssStyle for an .ass render (restyling ASS re-renders no SRT)."""
    style_fields = json.loads(args.style)
    ass_style = AssStyle(**style_fields.pop("ass")) if args.format == "ass" else None
    if args.film:
        style_fields["fps"] = film_frame_rate(args.film) or style_fields["fps"]
    return Style(**style_fields), ass_style


def write_quality_report(
    args: argparse.Namespace,
    subtitles: Subtitles,
    cues: list[Cue],
    style: Style,
    transcript: dict[str, Any],
    cuts: list[float] | None,
    trimmed: list[dict[str, Any]],
) -> None:
    """The QC JSON (--qc) of the cues as rendered, its summary line, and the coverage warning."""
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


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    setup_logging(args.debug)
    transcript = read_transcript(args.transcript, (SCHEMA, TRANSLATION_SCHEMA))  # either renders
    style, ass_style = read_style(args)
    turns = read_json(args.speakers, "speaker turns")["turns"] if args.speakers else None
    cuts = read_json(args.shots, "shot cuts")["cuts"] if args.shots else None
    subtitles = build_subtitles(transcript, style, turns, cuts)
    cues, trimmed = trim_to_media_end(subtitles.cues, media_end(transcript, args.film))
    write_text_atomic(render(cues, args.format, ass_style), args.output)
    log.info("%s: %d cues", args.output, len(cues))
    if args.qc:
        write_quality_report(args, subtitles, cues, style, transcript, cuts, trimmed)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
