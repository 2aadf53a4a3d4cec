"""The warm ASR worker's identity: a worker started before an env rebuild is never reused."""

from __future__ import annotations

import os
import sys

from asr_worker import socket_path


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
