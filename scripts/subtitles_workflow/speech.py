"""Speech regions with silero VAD (the ONNX model inside faster-whisper), shared by the vad
stage and the asr stage's default VAD. Needs numpy and faster-whisper (envs asr and vad).

Silero runs once per film in the asr stage (file_silero): the regions it decodes are read from
those probabilities (regions_from_probabilities: faster-whisper's get_speech_timestamps with
its model call taken out), and the probabilities go into the transcript for the timing stage
(frames_to_json), which refines word edges against them without running silero again.
"""

from __future__ import annotations

import base64
import logging
import math
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from subtitles_workflow.io import StageError

SAMPLE_RATE = 16_000
VAD_FRAME = 512  # samples per silero probability (32 ms)
# This process's silero runs: the asr log counts them (one per 10 min of film).
SILERO_RUNS = {"runs": 0, "seconds": 0.0}
log = logging.getLogger("stage")


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


def silero_probabilities(audio: np.ndarray) -> np.ndarray:
    """Silero's speech probability for every 32 ms frame of `audio` (faster-whisper's bundled
    ONNX), padded as get_speech_timestamps pads it: up to the next whole frame, a whole frame
    of silence more when it ends on one. Every silero run of the stages goes through here."""
    from faster_whisper.vad import get_vad_model

    SILERO_RUNS["runs"] += 1
    SILERO_RUNS["seconds"] += len(audio) / SAMPLE_RATE
    log.debug("silero VAD over %.1f s of audio", len(audio) / SAMPLE_RATE)
    padded = np.pad(audio, (0, VAD_FRAME - len(audio) % VAD_FRAME))
    return np.asarray(get_vad_model()(padded)).reshape(-1)


def frame_count(samples: int) -> int:
    """The 32 ms frames `samples` of audio span (the last one partly)."""
    return -(-samples // VAD_FRAME)


def frame_probabilities(audio: np.ndarray) -> np.ndarray:
    """One speech probability per 32 ms frame (frame_count of them): silero's, or, where the
    env has no silero (mlx-whisper's), 1 for frames 10 dB over the quietest."""
    try:
        import faster_whisper.vad  # noqa: F401
    except ImportError:
        padded = np.pad(audio.astype(np.float32), (0, -len(audio) % VAD_FRAME))
        if len(padded) == 0:
            return np.zeros(0, dtype=np.float32)
        level = 10 * np.log10((padded.reshape(-1, VAD_FRAME) ** 2).mean(axis=1) + 1e-10)
        return (level > np.percentile(level, 10) + 10.0).astype(np.float32)
    if len(audio) == 0:
        return np.zeros(0, dtype=np.float32)
    return silero_probabilities(audio.astype(np.float32))[: frame_count(len(audio))].astype(np.float32)


def speech_chunks(probs: np.ndarray, length: int, vad: Any) -> list[dict[str, int]]:
    """Speech as [{start, end}] samples from silero's frame probabilities `probs` of `length`
    samples, before padding: faster-whisper 1.2.1's get_speech_timestamps after its model call
    (`vad`: its VadOptions), line for line, so the regions are the ones it gives."""
    window, rate = VAD_FRAME, SAMPLE_RATE
    pad = rate * vad.speech_pad_ms / 1000
    min_speech = rate * vad.min_speech_duration_ms / 1000
    max_speech = rate * vad.max_speech_duration_s - window - 2 * pad
    min_silence = rate * vad.min_silence_duration_ms / 1000
    min_silence_at_max_speech = rate * 98 / 1000
    neg_threshold = vad.neg_threshold if vad.neg_threshold is not None else max(vad.threshold - 0.15, 0.01)
    triggered, speeches, current = False, [], {}
    temp_end = prev_end = next_start = 0
    for i, prob in enumerate(probs):
        if prob >= vad.threshold and temp_end:
            temp_end = 0
            if next_start < prev_end:
                next_start = window * i
        if prob >= vad.threshold and not triggered:
            triggered, current["start"] = True, window * i
            continue
        if triggered and window * i - current["start"] > max_speech:
            if prev_end:
                current["end"] = prev_end
                speeches.append(current)
                current = {}
                if next_start < prev_end:  # silence reached before, and still no speech
                    triggered = False
                else:
                    current["start"] = next_start
                prev_end = next_start = temp_end = 0
            else:
                current["end"] = window * i
                speeches.append(current)
                current, prev_end, next_start, temp_end, triggered = {}, 0, 0, 0, False
                continue
        if prob < neg_threshold and triggered:
            if not temp_end:
                temp_end = window * i
            if window * i - temp_end > min_silence_at_max_speech:  # not cut in a very short silence
                prev_end = temp_end
            if window * i - temp_end < min_silence:
                continue
            current["end"] = temp_end
            if current["end"] - current["start"] > min_speech:
                speeches.append(current)
            current, prev_end, next_start, temp_end, triggered = {}, 0, 0, 0, False
            continue
    if current and length - current["start"] > min_speech:
        current["end"] = length
        speeches.append(current)
    return padded_chunks(speeches, length, pad)


def padded_chunks(speeches: list[dict[str, int]], length: int, pad: float) -> list[dict[str, int]]:
    """Each chunk padded by `pad` samples, or by half the pause to the next when that is
    shorter (get_speech_timestamps' last step)."""
    for i, speech in enumerate(speeches):
        if i == 0:
            speech["start"] = int(max(0, speech["start"] - pad))
        if i != len(speeches) - 1:
            silence = speeches[i + 1]["start"] - speech["end"]
            if silence < 2 * pad:
                speech["end"] += int(silence // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - silence // 2))
            else:
                speech["end"] = int(min(length, speech["end"] + pad))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - pad))
        else:
            speech["end"] = int(min(length, speech["end"] + pad))
    return speeches


def regions_from_probabilities(probs: np.ndarray, length: int, options: dict[str, Any] | None = None) -> list[dict[str, float]]:
    """[{start, end}] in seconds of `length` samples of audio whose silero
    probabilities are `probs` (silero_probabilities); `options` are silero VadOptions fields."""
    from faster_whisper.vad import VadOptions

    chunks = speech_chunks(probs, length, VadOptions(**(options or {})))
    return [{"start": round(c["start"] / SAMPLE_RATE, 3), "end": round(c["end"] / SAMPLE_RATE, 3)} for c in chunks]


def speech_regions(audio: np.ndarray, options: dict[str, Any] | None = None) -> list[dict[str, float]]:
    """[{start, end}] in seconds; `options` are silero VadOptions fields."""
    return regions_from_probabilities(silero_probabilities(audio), len(audio), options)


VAD_CHUNK_S = 600.0  # the film is read and searched for speech 10 min at a time


@dataclass(frozen=True)
class SileroPass:
    """Silero over a whole film, `VAD_CHUNK_S` at a time: each chunk's start (s), length
    (samples) and frame probabilities (silero_probabilities)."""

    chunks: list[tuple[float, int, np.ndarray]]

    def regions(self, options: dict[str, Any] | None = None) -> list[dict[str, float]]:
        """The speech regions with these VadOptions fields; a region cut by a chunk boundary
        is joined again."""
        regions: list[dict[str, float]] = []
        for start, length, probs in self.chunks:
            found = regions_from_probabilities(probs, length, options)
            found = [{"start": round(r["start"] + start, 3), "end": round(r["end"] + start, 3)} for r in found]
            if regions and found and found[0]["start"] - regions[-1]["end"] < 0.05:
                regions[-1]["end"] = found.pop(0)["end"]  # speech ran across the boundary
            regions += found
        return regions

    def frames(self) -> np.ndarray:
        """Every 32 ms frame's probability from the film's start (chunks start on a frame)."""
        parts = [probs[: frame_count(length)] for _, length, probs in self.chunks]
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, dtype=np.float32)


def file_silero(path: Path, chunk: float = VAD_CHUNK_S) -> SileroPass:
    """silero_probabilities() over a WAV file, read `chunk` seconds at a time."""
    chunks, duration, start = [], wav_seconds(path), 0.0
    while start < duration:
        audio = read_wav(path, start, start + chunk)
        chunks.append((start, len(audio), silero_probabilities(audio)))
        start += chunk
    return SileroPass(chunks)


def file_frames(path: Path, chunk: float = VAD_CHUNK_S) -> np.ndarray:
    """frame_probabilities() over a WAV file, `chunk` seconds at a time: silero's (as
    file_silero(path).frames()), or its stand-in where the env has no silero."""
    parts, duration, start = [], wav_seconds(path), 0.0
    while start < duration:
        parts.append(frame_probabilities(read_wav(path, start, start + chunk)))
        start += chunk
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def file_speech_regions(path: Path, options: dict[str, Any] | None = None, chunk: float = VAD_CHUNK_S) -> list[dict[str, float]]:
    """speech_regions() over a WAV file, read `chunk` seconds at a time; a region cut by a
    chunk boundary is joined again."""
    return file_silero(path, chunk).regions(options)


def frames_to_json(frames: np.ndarray) -> dict[str, Any]:
    """Frame probabilities as the transcript keeps them: float32 little-endian, base64 (exact,
    and 4 bytes a frame: a 2-hour film's are 0.9 MB)."""
    data = np.asarray(frames, dtype="<f4").tobytes()
    return {"frame_s": VAD_FRAME / SAMPLE_RATE, "float32": base64.b64encode(data).decode("ascii")}


def frames_from_json(record: dict[str, Any]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(record["float32"]), dtype="<f4").astype(np.float32)


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
