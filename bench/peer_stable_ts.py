"""Run the peer, stable-ts, on one audio file and write its cues as JSON (issue 15).

Runs on the peer's own interpreter (a scratch venv with stable-ts, faster-whisper and torch;
bench/quality_peer.py starts it and reads what it writes), so it imports nothing of the
project. stable-ts's faster-whisper backend loads the project's CTranslate2 model folder
(`stable_whisper.load_faster_whisper` passes it through to `faster_whisper.WhisperModel`).

Written: the peer's versions, the settings, and the result's segments twice, as stable-ts
segments them by default (what `result.to_srt_vtt(word_level=False)` writes, one cue per
segment) and after `result.split_by_length(max_chars=42)`.

    <peer venv>/bin/python bench/peer_stable_ts.py --audio a.wav --language en --model DIR --output out.json
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from importlib.metadata import version
from pathlib import Path

# What the comparison asks of the peer: its silence suppression (on by default), no VAD,
# word timestamps; decoding as faster-whisper's defaults (beam 5), int8 on the CPU as the
# project's asr stage there.
SETTINGS = {"suppress_silence": True, "vad": False, "word_timestamps": True}
MODEL_OPTIONS = {"device": "cpu", "compute_type": "int8", "local_files_only": True}
MAX_CHARS = 42


def segments(result) -> list[dict]:
    return [
        {
            "start": segment.start,
            "end": segment.end,
            "text": segment.text,
            "words": [{"word": w.word, "start": w.start, "end": w.end, "probability": w.probability} for w in segment.words or []],
        }
        for segment in result.segments
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", required=True)
    parser.add_argument("--language", required=True)
    parser.add_argument("--model", required=True, help="a faster-whisper (CTranslate2) model folder")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()

    import stable_whisper

    started = time.monotonic()
    model = stable_whisper.load_faster_whisper(args.model, cpu_threads=args.threads, **MODEL_OPTIONS)
    result = model.transcribe(args.audio, language=args.language, verbose=None, **SETTINGS)
    split = copy.deepcopy(result)
    split.split_by_length(max_chars=MAX_CHARS)
    document = {
        "peer": {name: version(name) for name in ("stable-ts", "faster-whisper", "ctranslate2", "torch")},
        "settings": {**SETTINGS, **MODEL_OPTIONS, "language": args.language, "split_by_length": {"max_chars": MAX_CHARS}},
        "seconds": round(time.monotonic() - started, 2),
        "language": args.language,
        "default": segments(result),
        "split42": segments(split),
    }
    args.output.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
