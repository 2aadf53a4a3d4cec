"""The warm ASR worker: its identity (a worker started before an env rebuild is never reused),
when a job uses one, its slots, its log reaching the job's log while it decodes, and its files:
in the project folder, however deep, and none left behind, a killed run's included."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from asr_worker import socket_path
from conftest import PROJECT, SCRIPTS, wait_until
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
    import asr_worker
    import subtitles_workflow.transcription as transcription

    stderr = _WatchedStderr()
    caplog.set_level(logging.INFO, logger="stage")  # as the worker process logs (basicConfig INFO)

    def decode(audio, **settings):
        asr_worker.log.info("progress: 1.0/2.0 s")
        if not stderr.progress_seen.wait(20):
            raise RuntimeError("the job's log did not get the progress line while the worker decoded")
        return {"segments": [], "audio": str(audio)}

    monkeypatch.setattr(transcription, "transcribe", decode)
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


# ------------------------------------------------------------------ the worker's files
# A run's workers keep their sockets, slot locks and logs in the project folder and leave none
# behind: not in /tmp (79 files after one afternoon, issue 27), not in the project.
VARIABLE = "SUBTITLES_SNAKEMAKE_PROCESS"  # named by rules/hooks.smk, read by scripts/subtitles_workflow/io.py
PAYLOAD = {"audio": "clip.wav", "model_name": "base", "model_path": "models/none", "language": "en",
           "options": asr_options(), "threads": 1, "speech_regions": None}  # fmt: skip
JOB_KILLED_WHILE_IT_HOLDS_ITS_SLOT = """
import sys, time
from asr_worker import claim_slot, send, socket_path
from subtitles_workflow.io import StageError
payload = __import__("json").loads(sys.argv[1])
path, slot = claim_slot(socket_path(payload["model_path"], payload["options"], payload["threads"]))
try:
    send(path, payload, 60)
except StageError:
    pass
print("served", flush=True)
time.sleep(300)
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The jobs' cwd, and a temp folder of the test's own (the system's /tmp is shared with
    whatever else runs here): the test checks that both are left as they were found."""
    folder, temp = tmp_path / "project", tmp_path / "tmp"
    folder.mkdir()
    temp.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
    return folder, temp


def start_run(monkeypatch) -> subprocess.Popen:
    """A stand-in for a run's Snakemake process, named in the variable as rules/hooks.smk does."""
    from subtitles_workflow.io import process_identity

    snakemake = subprocess.Popen(["sleep", "300"])
    monkeypatch.setenv(VARIABLE, process_identity(snakemake.pid))
    return snakemake


def workers(parent: int) -> list[int]:
    """The warm workers `parent` started that still run (not zombies)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[1] == str(parent) and fields[0] not in ("Z", "X"):
                if b"asr_worker.py" in (stat.parent / "cmdline").read_bytes():
                    found.append(int(stat.parent.name))
    return found


def left_in(folder: Path) -> list[str]:
    """What is in `folder`, but for the .snakemake folder a run has anyway."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path != folder / ".snakemake")


def transcribe_through_a_worker() -> None:
    """One job's request/serve cycle: the worker answers that the model does not exist (or,
    on the workflow's env, that it has no numpy)."""
    from asr_worker import request
    from subtitles_workflow.io import StageError

    with pytest.raises(StageError) as failed:
        request(PAYLOAD, timeout=60)
    assert "models/none does not exist" in str(failed.value) or "No module named" in str(failed.value)


@pytest.fixture
def worker_python(monkeypatch) -> str:
    """The asr env's interpreter, as the asr jobs run (and so their workers), where it is built."""
    python = PROJECT / ".venvs" / "asr" / "bin" / "python"
    if python.exists():
        monkeypatch.setattr(sys, "executable", str(python))
    return sys.executable


def end_run(snakemake: subprocess.Popen, signum: int = signal.SIGTERM) -> None:
    """Its Snakemake gone, a run's workers go within seconds."""
    snakemake.send_signal(signum)
    snakemake.wait()
    assert wait_until(lambda: not workers(os.getpid()), 20), "a worker outlived its run"


@pytest.fixture
def no_stray_worker():
    yield
    for pid in workers(os.getpid()):  # a failed test's
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_a_worker_and_its_jobs_leave_no_file_behind(project, monkeypatch, worker_python, no_stray_worker):
    folder, temp = project
    snakemake = start_run(monkeypatch)
    try:
        transcribe_through_a_worker()
        transcribe_through_a_worker()  # the same warm worker
        assert len(workers(os.getpid())) == 1
    finally:
        end_run(snakemake)
    assert left_in(temp) == [] and left_in(folder) == []


def test_what_a_killed_run_left_is_removed_by_the_next_run(project, monkeypatch, worker_python, no_stray_worker):
    """kill -9 of the run: Snakemake, a job holding its slot and its worker, all at once."""
    folder, temp = project
    killed = start_run(monkeypatch)
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
    job = subprocess.Popen([worker_python, "-c", JOB_KILLED_WHILE_IT_HOLDS_ITS_SLOT, json.dumps(PAYLOAD)],
                           cwd=folder, env=env, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert job.stdout.readline() == "served\n" and workers(job.pid)
        for pid in [*workers(job.pid), job.pid, killed.pid]:
            os.kill(pid, signal.SIGKILL)
    finally:
        job.kill()
        job.wait()
        killed.kill()
        killed.wait()
    assert left_in(folder) + left_in(temp), "the kill -9 left nothing to remove"
    snakemake = start_run(monkeypatch)
    try:
        transcribe_through_a_worker()
    finally:
        end_run(snakemake)
    assert left_in(temp) == [] and left_in(folder) == []


def test_a_project_folder_deeper_than_an_af_unix_path_works(tmp_path, monkeypatch, worker_python, no_stray_worker):
    folder = tmp_path / ("a-project-folder-" * 4) / ("deeper-than-a-socket-path-" * 4)
    assert len(os.fsencode(folder)) > 108
    folder.mkdir(parents=True)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    snakemake = start_run(monkeypatch)
    try:
        transcribe_through_a_worker()
        sockets = list(folder.rglob("*.sock"))  # the warm worker's, in the project folder
        assert len(sockets) == 1 and len(os.fsencode(sockets[0])) > 108, sockets
    finally:
        end_run(snakemake)
    assert left_in(temp) == [] and left_in(folder) == []


def test_jobs_claiming_and_freeing_slots_at_once_never_share_one_and_leave_no_lock(tmp_path):
    """A freed slot's lock file is removed: a job that opened it just before must not take the
    slot beside the job that makes it anew."""
    from asr_worker import claim_slot

    base = tmp_path / ".snakemake" / "subtitles-asr" / "run" / "key.sock"
    base.parent.mkdir(parents=True)
    held, guard, shared, claims, errors = set(), threading.Lock(), [], [], []

    def job() -> None:
        try:
            for _ in range(300):
                path, slot = claim_slot(base)
                with guard:
                    if path in held:
                        shared.append(path)
                    held.add(path)
                    claims.append(path)
                time.sleep(0.0001)
                with guard:
                    held.discard(path)
                slot.close()
        except Exception as err:
            errors.append(err)

    jobs = [threading.Thread(target=job) for _ in range(8)]
    for each in jobs:
        each.start()
    for each in jobs:
        each.join()
    assert errors == [] and len(claims) == 8 * 300
    assert shared == []
    assert left_in(tmp_path) == []


def test_a_worker_that_fails_to_start_has_its_log_in_the_jobs_log_and_leaves_no_file(project, monkeypatch, capsys):
    """Its log would be the only record: it goes into the job's log (stderr), the file goes."""
    from asr_worker import request
    from subtitles_workflow.io import StageError

    folder, temp = project
    broken = temp.parent / "broken-python"
    broken.write_text("#!/bin/sh\necho 'ImportError: a broken env' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(broken))
    monkeypatch.delenv(VARIABLE, raising=False)  # a job run by hand with asr.worker: true
    with pytest.raises(StageError, match=r"ended before serving \(status 3: ImportError: a broken env\)"):
        request(PAYLOAD, timeout=20)
    assert "ImportError: a broken env" in capsys.readouterr().err
    assert left_in(temp) == [] and left_in(folder) == []
