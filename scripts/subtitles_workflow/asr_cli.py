"""What the three asr scripts (asr.py for faster-whisper, asr_whisperx.py, asr_mlx.py) share on
their command line: rules/asr.smk passes the same arguments whichever backend runs."""

from __future__ import annotations

import argparse
import json
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from subtitles_workflow.asr_options import AsrOptions
from subtitles_workflow.io import read_json


def argument_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--model", required=True, help="model name as configured (recorded in the JSON)")
    # nargs="?": the rule passes the bundled model's manifest, or nothing for any other model.
    parser.add_argument("--model-path", nargs="?", help="model manifest or directory to load (default: --model itself)")
    parser.add_argument("--language", default="auto")
    # JSON {"threshold", "fallback"} for an `auto` film (asr.language_threshold/_fallback); the
    # flag with no value for the others, which do not re-run when those change.
    parser.add_argument("--language-policy", nargs="?", default="", help="what to do when `auto` detection is unsure")
    parser.add_argument("--options", required=True, help="JSON object: the asr config block (AsrOptions)")
    parser.add_argument("--vocabulary", default="{}", help="JSON: the film's initial_prompt and hotwords")
    parser.add_argument("--threads", type=int, default=4)
    # nargs="?": the rule passes the flag with no value when the vad stage is off.
    parser.add_argument("--speech-regions", type=Path, nargs="?", help="JSON from the vad stage: decode only these spans")
    parser.add_argument("--worker", default="false", choices=["true", "false", "auto"], help="hand the work to a warm model worker")
    parser.add_argument("--debug", action="store_true")
    return parser


@dataclass(frozen=True)
class AsrJob:
    """The parsed command line: what a backend needs to transcribe one file."""

    audio: Path
    output: Path
    model_name: str
    model_path: str
    language: str
    language_policy: dict[str, Any] | None  # subtitles_workflow/language_id.py LanguagePolicy
    options: AsrOptions
    threads: int
    speech_regions: list[dict[str, float]] | None
    worker: str
    debug: bool


def parse_job(argv: list[str] | None, description: str) -> AsrJob:
    args = argument_parser(description).parse_args(argv)
    return AsrJob(
        audio=args.audio,
        output=args.output,
        model_name=args.model,
        model_path=model_to_load(args.model_path, args.model),
        language=args.language,
        language_policy=json.loads(args.language_policy) if args.language_policy else None,
        options=AsrOptions.from_json(args.options, args.vocabulary),
        threads=args.threads,
        speech_regions=read_json(args.speech_regions, "speech regions")["regions"] if args.speech_regions else None,
        worker=args.worker,
        debug=args.debug,
    )


def model_to_load(model_path: str | None, model: str) -> str:
    """The folder a bundled model's manifest names (the exact content the job depends on), a
    model directory as given, or else the model's name (a hub name is loaded as is)."""
    if model_path and model_path.endswith(".json"):
        manifest = Path(model_path)
        return str(manifest.parent / read_json(manifest, "model manifest")["folder"])
    return model_path or model


def wav_duration(audio: Path) -> float:
    with wave.open(str(audio), "rb") as handle:
        return handle.getnframes() / handle.getframerate()
