"""The word-level transcript, defined once: the JSON document the asr stage writes (one of
scripts/asr.py, asr_whisperx.py, asr_mlx.py) and align, translate, subtitles and report read.

A document is a plain dict typed by the TypedDicts below (stages edit words in place, so no
conversion layer), built only by make_word/make_segment/make_transcript (the one place that
says which keys, in which order, rounded how) and read only through read_transcript (which
checks the version). Later stages add keys of their own (word_timing, alignment, ...); their
names are listed here so a reader finds every field in one file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from subtitles_workflow.io import StageError, read_json, write_json_atomic

SCHEMA = "subtitles-workflow/transcript/v1"
# translate.py's document: a transcript on the same timeline whose segments also carry their
# source_text; the subtitles and report stages read either.
TRANSLATION_SCHEMA = "subtitles-workflow/translation/v1"


class Word(TypedDict):
    word: str
    start: float  # seconds, refined against the audio (subtitles_workflow/word_timing.py)
    end: float
    probability: float
    whisper_start: NotRequired[float]  # Whisper's own times, before the refinement
    whisper_end: NotRequired[float]
    ctc_start: NotRequired[float]  # the align stage's CTC times, before its refinement
    ctc_end: NotRequired[float]


class Segment(TypedDict):
    id: int  # 1, 2, ... in time order
    start: float
    end: float
    text: str
    # Decoder scores, where the backend gives them (whisperx gives none).
    avg_logprob: NotRequired[float]
    no_speech_prob: NotRequired[float]
    compression_ratio: NotRequired[float]
    words: list[Word]
    redecoded: NotRequired[dict[str, Any]]  # set by subtitles_workflow/transcript_repair.py
    source_text: NotRequired[str]  # translations only


class Transcript(TypedDict):
    schema: str  # SCHEMA: the version of this format
    audio: str
    duration: float
    language: str  # the language the text is written in
    source_language: str  # the language spoken
    language_probability: float | None  # of `source_language`; None where the backend does not say
    requested_language: str  # "auto": detected (faster-whisper: subtitles_workflow/language_id.py)
    # `auto` on faster-whisper: how the language was found (method, language, probability,
    # ranked, windows, threshold, fallback, used), and the one warning line when its probability
    # was below asr.language_threshold and the fallback was used (absent when confident).
    language_detection: NotRequired[dict[str, Any]]
    language_warning: NotRequired[str]
    model: dict[str, Any]  # name, backend, backend_version (faster-whisper), device, compute_type
    params: dict[str, Any]  # every option that shaped the decoding
    segments: list[Segment]
    dropped_segments: NotRequired[list[dict[str, Any]]]  # faster-whisper's repair
    speech_regions: NotRequired[list[dict[str, float]]]  # subtitles_workflow/word_timing.py
    # [start, end] s of speech by the asr stage's own detector, not silero (subtitles_workflow/signal_speech.py)
    signal_speech: NotRequired[list[list[float]]]
    word_timing: NotRequired[str]  # "signal" (asr) or "ctc+signal" (align)
    alignment: NotRequired[dict[str, Any]]  # the align stage


def make_word(word: str, start: float, end: float, probability: float) -> Word:
    return {
        "word": word.strip(),
        "start": round(float(start), 3),
        "end": round(float(end), 3),
        "probability": round(float(probability), 4),
    }


def make_segment(
    id: int,
    start: float,
    end: float,
    text: str,
    words: list[Word],
    *,
    avg_logprob: float | None = None,
    no_speech_prob: float | None = None,
    compression_ratio: float | None = None,
) -> Segment:
    """One segment; a score the backend does not give is left out, not written as null."""
    segment: dict[str, Any] = {"id": id, "start": round(float(start), 3), "end": round(float(end), 3), "text": text.strip()}
    scores = {"avg_logprob": (avg_logprob, 4), "no_speech_prob": (no_speech_prob, 4), "compression_ratio": (compression_ratio, 3)}
    for key, (value, digits) in scores.items():
        if value is not None:
            segment[key] = round(float(value), digits)
    segment["words"] = words
    return segment  # type: ignore[return-value]


def make_transcript(
    *,
    audio: Path | str,
    duration: float,
    detected_language: str,
    language_probability: float | None,
    requested_language: str,
    task: str,
    model: dict[str, Any],
    params: dict[str, Any],
    segments: list[Segment],
    dropped_segments: list[dict[str, Any]] | None = None,
    language_detection: dict[str, Any] | None = None,
    language_warning: str | None = None,
) -> Transcript:
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "audio": str(audio),
        "duration": round(float(duration), 3),
        # Whisper's translate task writes English whatever was spoken.
        "language": "en" if task == "translate" else detected_language,
        "source_language": detected_language,
        "language_probability": None if language_probability is None else round(float(language_probability), 4),
        "requested_language": requested_language,
        **({"language_detection": language_detection} if language_detection is not None else {}),
        **({"language_warning": language_warning} if language_warning else {}),
        "model": model,
        "params": params,
        "segments": segments,
    }
    if dropped_segments is not None:
        document["dropped_segments"] = dropped_segments
    return document  # type: ignore[return-value]


def write_transcript(document: Transcript | dict[str, Any], path: str | os.PathLike) -> None:
    """The one way a transcript (or translation) reaches disk: the shared JSON layout."""
    if document.get("schema") not in (SCHEMA, TRANSLATION_SCHEMA):
        raise ValueError(f"not a transcript document (schema {document.get('schema')!r})")
    write_json_atomic(document, path)


def read_transcript(path: str | os.PathLike, schemas: tuple[str, ...] = (SCHEMA,)) -> Transcript:
    """A transcript another stage wrote, of a version this code reads; anything else is one
    clear line (an intermediate from an older checkout is rebuilt, never half-read)."""
    document = read_json(path, "transcript")
    found = document.get("schema") if isinstance(document, dict) else None
    if found not in schemas:
        raise StageError(
            f"{path}: transcript schema {found!r}, this code reads {' or '.join(map(repr, schemas))}; delete it and re-run"
        )
    return document
