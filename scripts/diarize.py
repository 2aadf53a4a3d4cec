"""diarize: who speaks when, with a pyannote speaker-diarization pipeline -> speaker turns JSON.

pyannote weights are gated on the Hugging Face hub and not on PyPI: `diarize.model` is a hub
repository or a local pipeline directory (or its config.yaml), fetched (or recorded) once as a
model artifact (rules/models.smk); `--model-path` is its manifest, and the pipeline is loaded
from what it names, never from the hub (subtitles_workflow/pyannote_pipeline.py says what that
allows). The subtitles stage uses the turns to start a new cue at each change of speaker and to
mark it with a leading dash.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from subtitles_workflow.hardware import resolve_device
from subtitles_workflow.io import run_cli, setup_logging, write_json_atomic
from subtitles_workflow.model_source import manifest_folder, model_source
from subtitles_workflow.pyannote_pipeline import load_pipeline

SCHEMA = "subtitles-workflow/diarization/v1"
log = logging.getLogger("stage")


def diarize(audio: Path, model: str, device: str, folder: str = "") -> list[dict]:
    """`folder` is what is loaded (the model artifact's); `model` the pipeline as configured."""
    pipeline = load_pipeline(model, folder, "pyannote pipeline", "diarize.model")
    import torch

    device, why = resolve_device(device, backend="torch")
    log.info("pyannote %s on %s (%s)", model, device, why)
    pipeline.to(torch.device(device))
    result = pipeline(str(audio))
    annotation = getattr(result, "speaker_diarization", result)  # pyannote 4 wraps the annotation
    log.debug("pyannote %s result: %s", "4 (speaker_diarization)" if annotation is not result else "3", type(result).__name__)
    return [
        {"start": round(turn.start, 3), "end": round(turn.end, 3), "speaker": str(speaker)}
        for turn, _, speaker in annotation.itertracks(yield_label=True)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--model", default="", help="the pipeline as configured (hub id or local path)")
    parser.add_argument("--model-path", default="", help="the model's manifest (rules/models.smk): what it names is loaded")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    folder = manifest_folder(args.model_path) if args.model_path else ""
    turns = diarize(args.audio, args.model, args.device, folder)
    log.info("%d turns, %d speakers", len(turns), len({t["speaker"] for t in turns}))
    source = model_source(folder) if folder else None
    write_json_atomic({"schema": SCHEMA, "audio": str(args.audio), "model": args.model, "source": source, "turns": turns}, args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
