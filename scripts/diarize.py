"""diarize: who speaks when, with a pyannote speaker-diarization pipeline -> speaker turns JSON.

pyannote weights are gated on the Hugging Face hub and not on PyPI: `--model` is a local
pipeline directory (or its config.yaml). The subtitles stage uses the turns to start a new cue
at each change of speaker and to mark it with a leading dash.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from subtitles_workflow.hardware import resolve_device
from subtitles_workflow.io import StageError, run_cli, setup_logging, write_json_atomic

SCHEMA = "subtitles-workflow/diarization/v1"
log = logging.getLogger("stage")


def diarize(audio: Path, model: str, device: str) -> list[dict]:
    path = Path(model).expanduser()
    if not model or not path.exists():
        raise StageError(
            f"pyannote pipeline {model or '(unset)'} not found; its weights are not on PyPI: download "
            "pyannote/speaker-diarization-3.1 where the hub is reachable and set diarize.model to its directory"
        )
    import torch
    from pyannote.audio import Pipeline

    pipeline = Pipeline.from_pretrained(str(path))
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
    parser.add_argument("--model", default="")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    turns = diarize(args.audio, args.model, args.device)
    log.info("%d turns, %d speakers", len(turns), len({t["speaker"] for t in turns}))
    write_json_atomic({"schema": SCHEMA, "audio": str(args.audio), "model": args.model, "turns": turns}, args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
