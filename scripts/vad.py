"""vad: speech regions of a 16 kHz WAV, as JSON for the asr stage to decode (and nothing else).

silero VAD, the ONNX model that ships inside faster-whisper (no download; regions padded and
merged as faster-whisper's own `vad_filter` would). The pyannote backend runs
scripts/vad_pyannote.py, which loads its model artifact (rules/models.smk); the pyannote branch
below is no longer reached from the workflow, and stays only because removing it would change
this script's code digest and make every silero VAD artifact again.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from subtitles_workflow.io import StageError, run_cli, setup_logging, write_json_atomic
from subtitles_workflow.speech import file_speech_regions, wav_seconds

SCHEMA = "subtitles-workflow/vad/v1"
log = logging.getLogger("stage")


def pyannote_regions(audio: Path, model: str) -> list[dict[str, float]]:
    path = Path(model).expanduser()
    if not model or not path.exists():
        raise StageError(
            f"pyannote VAD pipeline {model or '(unset)'} not found; its weights are not on PyPI: set "
            "vad.pyannote_model to a local pipeline directory, or use vad.backend: silero"
        )
    from pyannote.audio import Pipeline

    result = Pipeline.from_pretrained(str(path))(str(audio))
    return [{"start": round(s.start, 3), "end": round(s.end, 3)} for s in result.get_timeline().support()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--backend", choices=["silero", "pyannote"], default="silero")
    parser.add_argument("--pyannote-model", default="", help="local pyannote VAD pipeline (backend pyannote)")
    parser.add_argument("--options", default="{}", help="JSON: silero VadOptions (threshold, min_silence_duration_ms, ...)")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    options = json.loads(args.options)
    if args.backend == "pyannote":
        regions = pyannote_regions(args.audio, args.pyannote_model)
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
