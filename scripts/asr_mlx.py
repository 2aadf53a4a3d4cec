"""asr (asr.backend: mlx-whisper, the default on Apple Silicon): mlx-whisper on the mlx env,
into the same word-level transcript as scripts/asr.py (subtitles_workflow/transcript.py).

MLX runs only on Apple Silicon, so this machine's tests cover only the conversion of
mlx-whisper's result (tests/unit/test_asr_backends.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from subtitles_workflow.asr_cli import AsrJob, wav_duration
from subtitles_workflow.asr_options import AsrOptions, warn_unhonoured
from subtitles_workflow.hardware import resolve_batch_size, resolve_compute_type, resolve_device
from subtitles_workflow.io import run_cli
from subtitles_workflow.other_backends import backend_main, finished_transcript
from subtitles_workflow.transcript import Segment, Transcript, make_segment, make_word

BACKEND = "mlx-whisper"
# mlx-whisper computes in float16 (fp16=True) or float32 (fp16=False), nothing else.
FP16 = {"float16": True, "float32": False}
log = logging.getLogger("stage")


def unhonoured(options: AsrOptions, device: str, compute_type: str, batch_size: int) -> dict[str, str]:
    """The options mlx-whisper cannot honour, each with what it does instead."""
    found = {}
    if device not in ("mps", "auto"):
        found["device"] = f"{device}: mlx-whisper runs on the Apple GPU"
    if compute_type not in FP16:
        found["compute_type"] = f"{compute_type}: mlx-whisper computes in float16"
    if options.beam_size != 1:
        found["beam_size"] = "mlx-whisper has no beam search: it decodes greedily"
    if options.vad_filter:
        found["vad_filter"] = "mlx-whisper has no VAD: the whole file is decoded"
    if batch_size > 1:
        found["batch_size"] = "mlx-whisper decodes sequentially"
    if options.hotwords:
        found["hotwords"] = "mlx-whisper has no hotwords: asr.hotwords and the glossary are ignored (the initial prompt is used)"
    return found


def decode_options(options: AsrOptions, language: str, compute_type: str) -> dict[str, Any]:
    """The mlx_whisper.transcribe arguments the options set."""
    return {
        "language": None if language == "auto" else language,
        "task": options.task,
        "condition_on_previous_text": options.condition_on_previous_text,
        "initial_prompt": options.initial_prompt or None,
        "fp16": FP16.get(compute_type, True),
    }


def segment_records(segments: list[dict[str, Any]]) -> list[Segment]:
    """mlx-whisper's segments (openai-whisper's layout) as the transcript's."""
    return [
        make_segment(
            index, segment["start"], segment["end"], segment["text"],
            [make_word(w["word"], w["start"], w["end"], w.get("probability", 1.0)) for w in segment.get("words", [])],
            avg_logprob=segment.get("avg_logprob"), no_speech_prob=segment.get("no_speech_prob"),
            compression_ratio=segment.get("compression_ratio"),
        )  # fmt: skip
        for index, segment in enumerate(segments, start=1)
    ]


def transcribe(job: AsrJob) -> Transcript:
    import mlx_whisper

    options = job.options
    device, why = resolve_device(options.device, backend=BACKEND)
    compute_type = resolve_compute_type(options.compute_type, device)
    warn_unhonoured(BACKEND, unhonoured(options, device, compute_type, resolve_batch_size(options.batch_size, device)))
    log.info("backend %s, device %s (%s), compute type %s", BACKEND, device, why, compute_type)
    started = time.monotonic()
    decode = decode_options(options, job.language, compute_type)
    result = mlx_whisper.transcribe(str(job.audio), path_or_hf_repo=job.model_path, word_timestamps=True, **decode)
    return finished_transcript(
        job, backend=BACKEND, device=device, compute_type=compute_type, language=result["language"],
        duration=wav_duration(job.audio), params={**decode, "word_timestamps": True},
        segments=segment_records(result["segments"]), started=started,
    )  # fmt: skip


main = backend_main(__doc__, transcribe, "mlx-whisper does not use the vad stage's speech regions: it decodes the whole file")


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
