"""Speech regions with silero VAD (the ONNX model inside faster-whisper), shared by the vad
stage and the asr stage's default VAD. Needs numpy and faster-whisper (envs asr and vad)."""

from __future__ import annotations

import math
import wave
from pathlib import Path
from typing import Any, Callable

import numpy as np

from subtitles_workflow.io import StageError

SAMPLE_RATE = 16_000


def _open_pcm16(path: Path) -> wave.Wave_read:
    handle = wave.open(str(path), "rb")
    if handle.getframerate() != SAMPLE_RATE or handle.getnchannels() != 1 or handle.getsampwidth() != 2:
        handle.close()
        raise StageError(f"{path}: expected 16 kHz mono 16-bit PCM (the demux stage's output); re-run demux")
    return handle


def wav_seconds(path: Path) -> float:
    with _open_pcm16(path) as handle:
        return handle.getnframes() / SAMPLE_RATE


def read_wav(path: Path, start: float = 0.0, end: float | None = None) -> np.ndarray:
    """Mono float32 in [-1, 1] from `start` to `end` seconds (the demux stage always writes
    16 kHz mono PCM16). Reads only that span: a 2-hour film is 460 MB as float32."""
    with _open_pcm16(path) as handle:
        first = min(int(start * SAMPLE_RATE), handle.getnframes())
        last = handle.getnframes() if end is None else min(int(end * SAMPLE_RATE), handle.getnframes())
        handle.setpos(first)
        pcm = np.frombuffer(handle.readframes(max(0, last - first)), dtype=np.int16)
    return pcm.astype(np.float32) / 32768.0


def speech_regions(audio: np.ndarray, options: dict[str, Any] | None = None) -> list[dict[str, float]]:
    """[{start, end}] in seconds; `options` are silero VadOptions fields."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(audio, VadOptions(**(options or {})), sampling_rate=SAMPLE_RATE)
    return [{"start": round(c["start"] / SAMPLE_RATE, 3), "end": round(c["end"] / SAMPLE_RATE, 3)} for c in chunks]


VAD_CHUNK_S = 600.0  # the film is read and searched for speech 10 min at a time


def file_speech_regions(path: Path, options: dict[str, Any] | None = None, chunk: float = VAD_CHUNK_S) -> list[dict[str, float]]:
    """speech_regions() over a WAV file, read `chunk` seconds at a time; a region cut by a
    chunk boundary is joined again."""
    regions: list[dict[str, float]] = []
    duration = wav_seconds(path)
    start = 0.0
    while start < duration:
        found = [
            {"start": round(r["start"] + start, 3), "end": round(r["end"] + start, 3)}
            for r in speech_regions(read_wav(path, start, start + chunk), options)
        ]
        if regions and found and found[0]["start"] - regions[-1]["end"] < 0.05:
            regions[-1]["end"] = found.pop(0)["end"]  # speech ran across the boundary
        regions += found
        start += chunk
    return regions


# BatchedInferencePipeline decodes each clip it is given as one 30 s window and drops whatever
# lies past it, so batched decoding gets regions of at most 30 s, split at pauses the way
# faster-whisper's own batched VAD splits them, then packed back together up to 30 s: every
# clip costs a whole window however short it is (unpacked, a 53 s sonnet in 15 clips decoded
# 2.8x slower than sequentially).
BATCH_WINDOW_S = 30.0
BATCH_VAD = {"max_speech_duration_s": BATCH_WINDOW_S, "min_silence_duration_ms": 160}
PACK_GAP_S = 2.0  # longer pauses stay out of a window: Whisper may hallucinate in silence


def batch_vad_parts(piece: np.ndarray) -> list[dict[str, float]]:
    return speech_regions(piece, BATCH_VAD)


def fit_to_window(
    read: Callable[[float, float], np.ndarray],
    regions: list[dict[str, float]],
    window: float = BATCH_WINDOW_S,
    split_at_pauses: Callable[[np.ndarray], list[dict[str, float]]] = batch_vad_parts,
) -> list[dict[str, float]]:
    """`regions` with every one longer than `window` split: at its pauses (silero), then any
    part still too long (speech without a pause) into equal pieces. `read(start, end)` gives
    the audio of a span."""
    fitted: list[dict[str, float]] = []
    for region in regions:
        if region["end"] - region["start"] <= window:
            fitted.append(region)
            continue
        piece = read(region["start"], region["end"])
        parts = split_at_pauses(piece) or [{"start": 0.0, "end": len(piece) / SAMPLE_RATE}]
        for part in parts:
            start, end = region["start"] + part["start"], region["start"] + part["end"]
            count = math.ceil((end - start) / (window - 0.01))  # 10 ms of room for rounding
            step = (end - start) / count
            fitted += [
                {"start": round(start + i * step, 3), "end": round(start + (i + 1) * step, 3)} for i in range(count)
            ]
    return fitted


def pack_into_windows(
    regions: list[dict[str, float]], window: float = BATCH_WINDOW_S, max_gap: float = PACK_GAP_S
) -> list[dict[str, float]]:
    """Consecutive regions (each within `window`) joined, pauses of up to `max_gap` included,
    into spans of at most `window` s."""
    spans: list[dict[str, float]] = []
    for region in regions:
        last = spans[-1] if spans else None
        if last and region["start"] - last["end"] <= max_gap and region["end"] - last["start"] <= window:
            last["end"] = region["end"]
        else:
            spans.append(dict(region))
    return spans
