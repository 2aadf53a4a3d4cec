"""vad: speech regions of a 16 kHz WAV, as JSON for the asr stage to decode (and nothing else).

silero VAD, the ONNX model that ships inside faster-whisper (no download; regions padded and
merged as faster-whisper's own `vad_filter` would), or a pyannote VAD pipeline (on the pyannote
env): `vad.pyannote_model`, a hub repository or local directory fetched (or recorded) once as a
model artifact (rules/models.smk), loaded from the folder its manifest (`--pyannote-model-path`)
names, never from the hub (subtitles_workflow/pyannote_pipeline.py).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from subtitles_workflow.io import run_cli, setup_logging, write_json_atomic
from subtitles_workflow.model_source import manifest_folder
from subtitles_workflow.speech import file_speech_regions, wav_seconds

SCHEMA = "subtitles-workflow/vad/v1"
log = logging.getLogger("stage")


def pyannote_regions(audio: Path, model: str, folder: str = "") -> list[dict[str, float]]:
    """`folder` is what is loaded (the model artifact's); `model` the pipeline as configured."""
    from subtitles_workflow.pyannote_pipeline import load_pipeline

    result = load_pipeline(model, folder, "pyannote VAD pipeline", "vad.pyannote_model")(str(audio))
    return [{"start": round(s.start, 3), "end": round(s.end, 3)} for s in result.get_timeline().support()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--backend", choices=["silero", "pyannote"], default="silero")
    parser.add_argument("--pyannote-model", default="", help="pyannote VAD pipeline as configured (backend pyannote)")
    parser.add_argument("--pyannote-model-path", default="", help="its manifest (rules/models.smk): what it names is loaded")
    parser.add_argument("--options", default="{}", help="JSON: silero VadOptions (threshold, min_silence_duration_ms, ...)")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    options = json.loads(args.options)
    if args.backend == "pyannote":
        folder = manifest_folder(args.pyannote_model_path) if args.pyannote_model_path else ""
        regions = pyannote_regions(args.audio, args.pyannote_model, folder)
    else:
        log.debug("silero options (the rest faster-whisper's defaults): %s", options)
        regions = file_speech_regions(args.audio, options)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("regions: %s", ", ".join(f"{r['start']:.2f}-{r['end']:.2f}" for r in regions) or "none")
    duration = wav_seconds(args.audio)
    speech = sum(r["end"] - r["start"] for r in regions)
    log.info("%d speech regions, %.1f of %.1f s", len(regions), speech, duration)
    document = {
        "schema": SCHEMA,
        "audio": str(args.audio),
        "duration": round(duration, 3),
        "backend": "silero (faster-whisper ONNX)" if args.backend == "silero" else f"pyannote ({args.pyannote_model})",
        "params": options,
        "regions": regions,
    }
    write_json_atomic(document, args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
