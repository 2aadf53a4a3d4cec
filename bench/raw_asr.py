"""The baseline: plain faster-whisper, nothing of the workflow (no JSON document, no logging
set-up, no model resolution). Loads the model once, transcribes each audio with word timestamps
and consumes the segment generator (where the decoding happens), and reports the time of each
phase. Runs on the asr env: .venvs/asr/bin/python bench/raw_asr.py --model-path DIR -- a.wav

--batch-sizes 0 8 16 transcribes every audio once per batch size, in turn (0 = sequential
model.transcribe, >1 = BatchedInferencePipeline), all with the one loaded model.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
from pathlib import Path  # noqa: E402


def transcribe(model, audio: str, language: str, options, batch_size: int, text: bool) -> dict:
    """`options`: the stage's AsrOptions (scripts/subtitles_workflow/asr_options.py)."""
    kwargs = {
        "language": language,
        "beam_size": options.beam_size,
        "word_timestamps": True,
        "vad_filter": options.vad_filter,
        "condition_on_previous_text": options.condition_on_previous_text,
    }
    started = time.perf_counter()
    if batch_size > 1:
        from faster_whisper import BatchedInferencePipeline

        kwargs.pop("condition_on_previous_text")  # the batched pipeline never conditions
        kwargs["vad_filter"] = True
        segments, info = BatchedInferencePipeline(model).transcribe(audio, batch_size=batch_size, **kwargs)
    else:
        segments, info = model.transcribe(audio, **kwargs)
    pieces, n_segments, n_words = [], 0, 0
    for segment in segments:
        n_segments += 1
        n_words += len(segment.words or [])
        pieces.append(segment.text)
    elapsed = time.perf_counter() - started
    row = {
        "audio": audio,
        "batch_size": batch_size,
        "duration_s": info.duration,
        "transcribe_s": elapsed,
        "rtf": elapsed / info.duration if info.duration else None,
        "segments": n_segments,
        "words": n_words,
    }
    if text:
        row["text"] = " ".join(p.strip() for p in pieces)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-path", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--language", default="en")
    parser.add_argument("--options", required=True, help="asr options JSON, all of them (bench/project.py asr_options)")
    parser.add_argument("--batch-sizes", type=int, nargs="*", help="default: the options' batch_size")
    parser.add_argument("--warmup", help="transcribe this first, unmeasured (first-call costs)")
    parser.add_argument("--text", action="store_true", help="include the transcripts")
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("audio", nargs="+")
    args = parser.parse_args()
    import scripts_on_path  # noqa: F401
    from subtitles_workflow.asr_options import AsrOptions
    from subtitles_workflow.hardware import resolve_batch_size, resolve_compute_type, resolve_device

    options = AsrOptions.from_json(args.options)
    device = resolve_device(options.device)[0]  # `auto` resolved as the asr stage resolves it
    batch_sizes = args.batch_sizes if args.batch_sizes else [resolve_batch_size(options.batch_size, device)]

    t_import = time.perf_counter()
    from faster_whisper import WhisperModel

    t_load = time.perf_counter()
    model = WhisperModel(
        args.model_path,
        device=device,
        compute_type=resolve_compute_type(options.compute_type, device),
        cpu_threads=args.threads,
        local_files_only=True,
    )
    t_loaded = time.perf_counter()
    warmup_s = None
    if args.warmup:
        warmup_s = transcribe(model, args.warmup, args.language, options, batch_sizes[0], False)["transcribe_s"]
    runs = [
        transcribe(model, audio, args.language, options, batch_size, args.text)
        for audio in args.audio
        for batch_size in batch_sizes
    ]
    report = {
        "to_main_s": t_import - STARTED,
        "import_s": t_load - t_import,
        "load_s": t_loaded - t_load,
        "warmup_s": warmup_s,
        "runs": runs,
        "transcribe_total_s": sum(r["transcribe_s"] for r in runs),
        "in_process_s": time.perf_counter() - STARTED,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    args.report.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
