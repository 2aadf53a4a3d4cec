"""vad: speech regions of a 16 kHz WAV, as JSON for the asr stage to decode (and nothing else).

silero VAD, the ONNX model that ships inside faster-whisper (no download). Regions are in
seconds, padded and merged as faster-whisper's own `vad_filter` would do them.
"""

from __future__ import annotations

import argparse
import json
import logging
import wave
from pathlib import Path
from typing import Any

import numpy as np

from common.io import StageError, run_cli, setup_logging, write_json_atomic

SCHEMA = "subtitles-workflow/vad/v1"
SAMPLE_RATE = 16_000
log = logging.getLogger("stage")


def read_wav(path: Path) -> np.ndarray:
    """Mono float32 in [-1, 1] (the demux stage always writes 16 kHz mono PCM16)."""
    with wave.open(str(path), "rb") as handle:
        if handle.getframerate() != SAMPLE_RATE or handle.getnchannels() != 1 or handle.getsampwidth() != 2:
            raise StageError(f"{path}: expected 16 kHz mono 16-bit PCM (the demux stage's output); re-run demux")
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    return pcm.astype(np.float32) / 32768.0


def speech_regions(audio: np.ndarray, options: dict[str, Any]) -> list[dict[str, float]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    fields = VadOptions.__dataclass_fields__ if hasattr(VadOptions, "__dataclass_fields__") else {}
    vad_options = VadOptions(**{k: v for k, v in options.items() if not fields or k in fields})
    return [
        {"start": round(chunk["start"] / SAMPLE_RATE, 3), "end": round(chunk["end"] / SAMPLE_RATE, 3)}
        for chunk in get_speech_timestamps(audio, vad_options, sampling_rate=SAMPLE_RATE)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--options", default="{}", help="JSON: silero VadOptions (threshold, min_silence_duration_ms, ...)")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    audio = read_wav(args.audio)
    options = json.loads(args.options)
    regions = speech_regions(audio, options)
    duration = len(audio) / SAMPLE_RATE
    speech = sum(r["end"] - r["start"] for r in regions)
    log.info("%d speech regions, %.1f of %.1f s", len(regions), speech, duration)
    document = {
        "schema": SCHEMA,
        "audio": str(args.audio),
        "duration": round(duration, 3),
        "backend": "silero (faster-whisper ONNX)",
        "params": options,
        "regions": regions,
    }
    write_json_atomic(document, args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
