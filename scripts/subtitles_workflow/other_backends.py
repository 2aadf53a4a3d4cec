"""What the whisperx and mlx-whisper scripts share: the transcript document they end with (with
silero's frame probabilities for the timing stage, as asr.py's) and their command-line run."""

from __future__ import annotations

import logging
import time
from importlib.metadata import version
from typing import Any, Callable

from subtitles_workflow.asr_cli import AsrJob, parse_job
from subtitles_workflow.io import setup_logging
from subtitles_workflow.speech import file_frames, frames_to_json
from subtitles_workflow.transcript import Segment, Transcript, make_transcript, write_transcript

log = logging.getLogger("stage")


def finished_transcript(
    job: AsrJob, *, backend: str, device: str, compute_type: str, language: str, duration: float,
    params: dict[str, Any], segments: list[Segment], started: float,
) -> Transcript:  # fmt: skip
    """The backend's segments as the transcript document, with silero's frame probabilities
    (its stand-in in an env without silero) that the timing stage refines the words against."""
    log.info("%d segments, language %s, %.1f s audio in %.1f s", len(segments), language, duration, time.monotonic() - started)
    model = {"name": job.model_name, "backend": backend, "backend_version": version(backend), "device": device, "compute_type": compute_type}
    document = make_transcript(
        audio=job.audio, duration=duration, detected_language=language, language_probability=None,
        requested_language=job.language, task=job.options.task, model=model, params=params, segments=segments,
    )  # fmt: skip
    return {**document, "silero": frames_to_json(file_frames(job.audio))}


def backend_main(doc: str, transcribe: Callable[[AsrJob], Transcript], regions_note: str) -> Callable[[list[str] | None], None]:
    """The script's main (described by the first line of its `doc`): the job from the command
    line (the asr rule's arguments), its notes on what this backend does not do (`regions_note`:
    what it does instead of the vad stage's speech regions), the transcript written."""

    def main(argv: list[str] | None = None) -> None:
        job = parse_job(argv, doc.splitlines()[0])
        setup_logging(job.debug)
        (log.warning if job.worker == "true" else log.info)("warm worker: no (faster-whisper only)")
        if job.speech_regions is not None:
            log.warning(regions_note)
        write_transcript(transcribe(job), job.output)

    return main
