"""Speech regions with silero VAD (the ONNX model inside faster-whisper), shared by the vad
stage and the asr stage's default VAD. Needs numpy and faster-whisper (envs asr and vad)."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np

from common.io import StageError

SAMPLE_RATE = 16_000


def read_wav(path: Path) -> np.ndarray:
    """Mono float32 in [-1, 1] (the demux stage always writes 16 kHz mono PCM16)."""
    with wave.open(str(path), "rb") as handle:
        if handle.getframerate() != SAMPLE_RATE or handle.getnchannels() != 1 or handle.getsampwidth() != 2:
            raise StageError(f"{path}: expected 16 kHz mono 16-bit PCM (the demux stage's output); re-run demux")
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    return pcm.astype(np.float32) / 32768.0


def speech_regions(audio: np.ndarray, options: dict[str, Any] | None = None) -> list[dict[str, float]]:
    """[{start, end}] in seconds; `options` are silero VadOptions fields."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(audio, VadOptions(**(options or {})), sampling_rate=SAMPLE_RATE)
    return [{"start": round(c["start"] / SAMPLE_RATE, 3), "end": round(c["end"] / SAMPLE_RATE, 3)} for c in chunks]
