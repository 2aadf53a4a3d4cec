"""asr (asr.backend: whisperx): batched faster-whisper plus wav2vec2 word alignment, on the
whisperx env, into the same word-level transcript as scripts/asr.py (subtitles_workflow/transcript.py).

Never on the default path: the env pulls a 7.6 GB CUDA stack, so this machine's tests cover
only the conversion of whisperx's result (tests/unit/test_asr_backends.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from subtitles_workflow.asr_cli import AsrJob
from subtitles_workflow.asr_options import AsrOptions, warn_unhonoured
from subtitles_workflow.hardware import resolve_batch_size, resolve_compute_type, resolve_device
from subtitles_workflow.io import run_cli
from subtitles_workflow.other_backends import backend_main, finished_transcript
from subtitles_workflow.transcript import Segment, Transcript, make_segment, make_word

BACKEND = "whisperx"
# whisperx always decodes in batches; asr.batch_size 0 (sequential) gets its own default.
SEQUENTIAL_STAND_IN = 8
log = logging.getLogger("stage")


def unhonoured(options: AsrOptions, batch_size: int) -> dict[str, str]:
    """The options whisperx cannot honour, each with what it does instead."""
    found = {}
    if not options.vad_filter:
        found["vad_filter"] = "whisperx always cuts the audio at its own VAD before batching"
    if options.condition_on_previous_text:
        found["condition_on_previous_text"] = "whisperx decodes its batched windows independently"
    if batch_size <= 1:
        found["batch_size"] = f"whisperx always decodes in batches: batch size {SEQUENTIAL_STAND_IN}"
    return found


def decoder_options(options: AsrOptions) -> dict[str, Any]:
    """What whisperx hands to faster-whisper's decoder (its load_model asr_options)."""
    decoder: dict[str, Any] = {"beam_size": options.beam_size}
    # A film's names and terms (asr.initial_prompt / asr.hotwords, the media sheet, the glossary).
    if options.initial_prompt:
        decoder["initial_prompt"] = options.initial_prompt
    if options.hotwords:
        decoder["hotwords"] = options.hotwords
    return decoder


def segment_records(segments: list[dict[str, Any]]) -> list[Segment]:
    """whisperx's (aligned) segments as the transcript's; a word the aligner could not place
    (no start: digits, symbols) is left out, and its score stands for the probability."""
    records = []
    for index, segment in enumerate(segments, start=1):
        words = [make_word(w["word"], w["start"], w["end"], w.get("score", 1.0)) for w in segment.get("words", []) if "start" in w]
        records.append(make_segment(index, segment["start"], segment["end"], segment["text"], words))
    return records


def transcribe(job: AsrJob) -> Transcript:
    import whisperx

    options = job.options
    device, why = resolve_device(options.device, backend=BACKEND)
    compute_type = resolve_compute_type(options.compute_type, device)
    batch_size = resolve_batch_size(options.batch_size, device)
    warn_unhonoured(BACKEND, unhonoured(options, batch_size))
    batch_size = batch_size if batch_size > 1 else SEQUENTIAL_STAND_IN
    log.info("backend %s, device %s (%s), compute type %s, batch size %d", BACKEND, device, why, compute_type, batch_size)
    started = time.monotonic()
    samples = whisperx.load_audio(str(job.audio))
    decoder = decoder_options(options)
    model = whisperx.load_model(
        job.model_path, device, compute_type=compute_type, language=None if job.language == "auto" else job.language,
        asr_options=decoder, task=options.task, threads=job.threads,
    )  # fmt: skip
    result = model.transcribe(samples, batch_size=batch_size)
    try:
        align_model, metadata = whisperx.load_align_model(language_code=result["language"], device=device)
        result = {**result, **whisperx.align(result["segments"], align_model, metadata, samples, device)}
    except Exception as err:  # no alignment model for the language: keep segment-level timing
        log.warning("whisperx alignment skipped (%s)", str(err).splitlines()[0] if str(err) else type(err).__name__)
    return finished_transcript(
        job, backend=BACKEND, device=device, compute_type=compute_type, language=result["language"],
        duration=len(samples) / 16000, params={"language": job.language, "task": options.task, **decoder, "batch_size": batch_size},
        segments=segment_records(result["segments"]), started=started,
    )  # fmt: skip


main = backend_main(__doc__, transcribe, "whisperx does not use the vad stage's speech regions: it runs its own VAD")


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
