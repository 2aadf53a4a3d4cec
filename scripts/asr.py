"""asr: transcribe a 16 kHz WAV with faster-whisper into the word-level transcript JSON.

The JSON is the lossless intermediate every later stage reads (stable-ts style): segments with
words (start, end, probability), the detected language, the model and every option that shaped it
(the format: subtitles_workflow/transcript.py). The whisperx and mlx-whisper backends have scripts of their
own (asr_whisperx.py, asr_mlx.py) on their own envs; rules/asr.smk picks one by asr.backend.
Decoding and the repairs that need the model are in subtitles_workflow/transcription.py, which
this job runs in process or hands to a warm worker (asr_worker.py); the words keep Whisper's own
times, which the timing stage (scripts/timing.py) refines against the audio, with silero's
frame probabilities measured once here (the transcript's `silero`).
"""

from __future__ import annotations

import logging

from asr_worker import request, use_worker
from subtitles_workflow.asr_cli import parse_job, wav_duration
from subtitles_workflow.io import run_cli, setup_logging
from subtitles_workflow.transcript import write_transcript
from subtitles_workflow.transcription import transcribe

log = logging.getLogger("stage")


def main(argv: list[str] | None = None) -> None:
    job = parse_job(argv, __doc__.splitlines()[0])
    setup_logging(job.debug)
    worker, why = use_worker(job.worker, wav_duration(job.audio))
    log.info("warm worker: %s (%s)", "yes" if worker else "no", why)
    if worker:
        document = request(
            {
                "audio": str(job.audio.absolute()), "model_name": job.model_name, "model_path": job.model_path,
                "language": job.language, "language_policy": job.language_policy,
                "options": job.options.as_dict(), "threads": job.threads,
                "speech_regions": job.speech_regions, "debug": log.isEnabledFor(logging.DEBUG),
            }
        )  # fmt: skip
        write_transcript(document, job.output)
        return
    document = transcribe(
        job.audio, model_name=job.model_name, model_path=job.model_path, language=job.language,
        options=job.options, threads=job.threads, speech_regions=job.speech_regions,
        language_policy=job.language_policy,
    )  # fmt: skip
    write_transcript(document, job.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
