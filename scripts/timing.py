"""timing: Whisper's word times refined against the audio (subtitles_workflow/word_timing.py).

Whisper's word timestamps give the pause before a word to that word: a line after a pause
would start on screen up to a second before anyone speaks. This stage moves each word's start
and end to where its speech starts and ends, keeps Whisper's own as whisper_start/whisper_end,
widens the segments to hold their words and adds the film's silero speech regions. It reads
the asr stage's transcript (or Whisper's translation) and the audio the decoder heard, and
silero's frame probabilities from the transcript (the asr stage ran silero once): no model
here, so a change to word timing never decodes again. Env: the asr stage's (numpy).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from subtitles_workflow.io import run_cli, setup_logging
from subtitles_workflow.transcript import read_transcript, write_transcript
from subtitles_workflow.word_timing import EdgeLimits, refine_transcript_timing


def refine(document: dict[str, Any], audio: Path, limits: EdgeLimits) -> dict[str, Any]:
    """The transcript with its word edges on the audio (refine_transcript_timing)."""
    return refine_transcript_timing(document, audio, limits)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcript", type=Path, required=True, help="the asr stage's JSON (or Whisper's translation)")
    parser.add_argument("--audio", type=Path, required=True, help="the 16 kHz WAV the decoder heard")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--options", default="{}", help="JSON object: the timing config block (EdgeLimits)")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    limits = EdgeLimits.from_mapping(json.loads(args.options))
    write_transcript(refine(read_transcript(args.transcript), args.audio, limits), args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
