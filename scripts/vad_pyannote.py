"""vad (vad.backend: pyannote): speech regions of a 16 kHz WAV from a pyannote VAD pipeline, as
JSON for the asr stage to decode, in the document scripts/vad.py writes for silero.

`vad.pyannote_model` is a hub repository or a local directory, fetched (or recorded) once as a
model artifact (rules/models.smk); `--pyannote-model-path` is its manifest, and the pipeline is
loaded from the folder it names, never from the hub (subtitles_workflow/pyannote_pipeline.py says
what that allows). A script of its own so that scripts/vad.py, and with it every silero VAD
artifact, stays as it was.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from subtitles_workflow.io import run_cli, setup_logging, write_json_atomic
from subtitles_workflow.model_source import manifest_folder, model_source
from subtitles_workflow.pyannote_pipeline import load_pipeline
from subtitles_workflow.speech import wav_seconds

SCHEMA = "subtitles-workflow/vad/v1"
log = logging.getLogger("stage")


def pyannote_regions(audio: Path, model: str, folder: str = "") -> list[dict[str, float]]:
    """`folder` is what is loaded (the model artifact's); `model` the pipeline as configured."""
    pipeline = load_pipeline(model, folder, "pyannote VAD pipeline", "vad.pyannote_model")
    result = pipeline(str(audio))
    return [{"start": round(s.start, 3), "end": round(s.end, 3)} for s in result.get_timeline().support()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--backend", choices=["pyannote"], default="pyannote")
    parser.add_argument("--pyannote-model", default="", help="the pyannote VAD pipeline as configured")
    parser.add_argument("--pyannote-model-path", default="", help="its manifest (rules/models.smk): what it names is loaded")
    parser.add_argument("--options", default="{}", help="JSON: the vad block's other settings (silero's; recorded)")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    folder = manifest_folder(args.pyannote_model_path) if args.pyannote_model_path else ""
    regions = pyannote_regions(args.audio, args.pyannote_model, folder)
    duration = wav_seconds(args.audio)
    speech = sum(r["end"] - r["start"] for r in regions)
    log.info("%d speech regions, %.1f of %.1f s", len(regions), speech, duration)
    document = {
        "schema": SCHEMA,
        "audio": str(args.audio),
        "duration": round(duration, 3),
        "backend": f"pyannote ({args.pyannote_model})",
        "model_source": model_source(folder) if folder else None,
        "params": json.loads(args.options),
        "regions": regions,
    }
    write_json_atomic(document, args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
