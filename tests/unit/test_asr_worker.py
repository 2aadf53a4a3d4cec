"""The warm ASR worker: its identity (a worker started before an env rebuild is never reused),
when a job uses one, its slots, and its log reaching the job's log while it decodes."""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time

from asr_worker import socket_path
from project import asr_options


def test_an_env_rebuild_gives_a_new_worker(tmp_path, monkeypatch):
    config = tmp_path / "pyvenv.cfg"
    config.write_text("home = /usr/bin\n")
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    options = {"device": "cpu", "compute_type": "int8"}
    before = socket_path("models/base", options, 2)
    assert socket_path("models/base", options, 2) == before
    os.utime(config, ns=(1, 1))  # the env rebuilt: a fresh pyvenv.cfg
    assert socket_path("models/base", options, 2) != before
    assert socket_path("models/base", {**options, "compute_type": "float32"}, 2) != socket_path("models/base", options, 2)


def test_auto_uses_a_warm_worker_for_short_audio_in_a_local_run_only(monkeypatch):
    from asr_worker import AUTO_MAX_SECONDS, use_worker
    from subtitles_workflow.io import SNAKEMAKE_PROCESS_VARIABLE

    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    monkeypatch.setenv(SNAKEMAKE_PROCESS_VARIABLE, "123:456")
    assert use_worker("auto", 12.0)[0]
    assert not use_worker("auto", AUTO_MAX_SECONDS + 1)[0]  # a film: in-process, progress live
    assert use_worker("true", AUTO_MAX_SECONDS + 1)[0] and not use_worker("false", 12.0)[0]
    monkeypatch.setenv("SLURM_JOB_ID", "77")
    assert use_worker("auto", 12.0) == (False, "auto: a cluster job")
    monkeypatch.delenv("SLURM_JOB_ID")
    monkeypatch.delenv(SNAKEMAKE_PROCESS_VARIABLE)
    assert use_worker("auto", 12.0) == (False, "auto: not run by the workflow's Snakemake")


def test_jobs_running_at_once_claim_different_workers_and_a_finished_job_frees_its_slot(tmp_path):
    from asr_worker import claim_slot

    base = tmp_path / "subtitles-asr-0-abc.sock"
    first, first_lock = claim_slot(base)
    second, second_lock = claim_slot(base)
    assert (first.name, second.name) == ("subtitles-asr-0-abc-0.sock", "subtitles-asr-0-abc-1.sock")
    first_lock.close()  # the first job is done
    third, third_lock = claim_slot(base)
    assert third == first
    second_lock.close()
    third_lock.close()


class _WatchedStderr(io.StringIO):
    """The job's stderr (its log): notes when a progress line reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.progress_seen = threading.Event()

    def write(self, text: str) -> int:
        if "progress: 1.0/2.0 s" in text:
            self.progress_seen.set()
        return super().write(text)


def test_the_job_log_shows_the_workers_progress_while_it_decodes(tmp_path, monkeypatch, caplog):
    """A 10-minute clip decodes in the worker for minutes: its progress lines must reach the
    job's log as they are written, not with the transcript at the end."""
    import asr
    import asr_worker

    stderr = _WatchedStderr()
    caplog.set_level(logging.INFO, logger="stage")  # as the worker process logs (basicConfig INFO)

    def decode(audio, **settings):
        asr_worker.log.info("progress: 1.0/2.0 s")
        if not stderr.progress_seen.wait(20):
            raise RuntimeError("the job's log did not get the progress line while the worker decoded")
        return {"segments": [], "audio": str(audio)}

    monkeypatch.setattr(asr, "transcribe", decode)
    monkeypatch.setattr(sys, "stderr", stderr)
    path = tmp_path / "worker.sock"
    worker = threading.Thread(target=asr_worker.serve, args=(path, 30), daemon=True)
    worker.start()
    while asr_worker.connect(path) is None:
        time.sleep(0.01)
    payload = {"audio": "clip.wav", "model_name": "base", "model_path": "models/base", "language": "en",
               "options": asr_options(), "threads": 1, "speech_regions": None}  # fmt: skip
    document = asr_worker.send(path, payload, timeout=30)
    assert document == {"segments": [], "audio": "clip.wav"}
    assert "progress: 1.0/2.0 s" in stderr.getvalue()
