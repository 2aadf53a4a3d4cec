"""A warm ASR worker: one process per (project, env, model, device) that keeps the Whisper
model loaded and transcribes for many short asr jobs, so a batch of clips pays the model load
once. Each file is still its own Snakemake job (per-file staleness, logs, benchmarks); the job
only hands its request over a Unix socket and waits. The worker exits after an idle spell.

Started on demand by the first job: always with `asr.worker: true`, and with `auto` (the
default) for audio up to AUTO_MAX_SECONDS when Snakemake runs the job on this machine (a
cluster job stays in-process: it has no run here to end with). Jobs that run at the same time
each claim a slot (a file lock) and get a worker of their own, so parallel jobs do not wait
for each other (only a job that takes the slot of one killed mid-decode waits for that decode
to end). The worker sends the transcript back and the job writes it, so a killed job leaves
none behind. It serves one Snakemake run and stops within seconds of that run's end, a kill -9
included.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from subtitles_workflow.io import SNAKEMAKE_PROCESS_VARIABLE, LostSnakemake, StageError, watch_snakemake

IDLE_SECONDS = 60
# `auto`: the model load (0.5 s for base, several for large-v3) is a large share of a short
# clip's job; past this, in-process, where the stage's progress lines reach the log live.
AUTO_MAX_SECONDS = 600.0
CLUSTER_JOB_VARIABLES = ("SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "JOB_ID")
log = logging.getLogger("stage")


def code_identity() -> list[Any]:
    """What a warm worker runs: the env (its pyvenv.cfg is new after every rebuild) and the
    stage code. A worker started before an env rebuild or a code edit is never reused."""
    here = Path(__file__).resolve().parent
    sources = [here / "asr.py", here / "asr_worker.py", *sorted((here / "subtitles_workflow").glob("*.py"))]
    code = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()
    venv_cfg = Path(sys.prefix) / "pyvenv.cfg"
    return [sys.executable, venv_cfg.stat().st_mtime_ns if venv_cfg.exists() else None, code]


def use_worker(setting: str, audio_seconds: float) -> tuple[bool, str]:
    """Whether this job hands its file to a warm worker (`asr.worker`: true, false or auto),
    and why."""
    if setting in ("true", "1"):
        return True, "asr.worker: true"
    if setting in ("false", "0"):
        return False, "asr.worker: false"
    if not os.environ.get(SNAKEMAKE_PROCESS_VARIABLE):
        return False, "auto: not run by the workflow's Snakemake"
    if any(os.environ.get(name) for name in CLUSTER_JOB_VARIABLES):
        return False, "auto: a cluster job"
    if audio_seconds > AUTO_MAX_SECONDS:
        return False, f"auto: {audio_seconds:.0f} s of audio, over {AUTO_MAX_SECONDS:.0f} s"
    return True, f"auto: {audio_seconds:.0f} s of audio, run on this machine"


def socket_path(model_path: str, options: dict[str, Any], threads: int) -> Path:
    """One worker per Snakemake run, project folder, env, code, model and device settings
    (AF_UNIX paths are short: the key is hashed into the temp folder). Per run: a worker
    stops with its run, so a later run never reaches one that is about to go."""
    run = os.environ.get(SNAKEMAKE_PROCESS_VARIABLE)
    key = json.dumps(
        [run, os.getcwd(), *code_identity(), model_path, options.get("device"), options.get("compute_type"), threads]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"subtitles-asr-{os.getuid()}-{digest}.sock"


class JobGone(BaseException):
    """The job that asked has gone (killed, or its Snakemake stopped): stop decoding for it.
    A BaseException, so that no `except Exception` in the decode keeps it going."""


class _Relay(logging.Handler):
    """Sends each stage log line to the job as it is written, so the job's log (and the
    logger plugin's share done and time left) moves while the worker decodes."""

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self.stream = stream
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [worker %(process)d] %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(json.dumps({"log": self.format(record)}).encode() + b"\n")
            self.stream.flush()
        except OSError as err:  # BrokenPipeError, ConnectionResetError
            raise JobGone from err


def handle(request: dict[str, Any], stream: Any) -> dict[str, Any]:
    from asr import transcribe
    from subtitles_workflow.asr_options import AsrOptions

    relay = _Relay(stream)
    log.addHandler(relay)
    try:
        document = transcribe(
            Path(request["audio"]),
            model_name=request["model_name"],
            model_path=request["model_path"],
            language=request["language"],
            options=AsrOptions.from_mapping(request["options"]),
            threads=request["threads"],
            speech_regions=request["speech_regions"],
        )
        # The job writes it: a job killed while the worker decodes leaves no transcript behind.
        return {"ok": True, "document": document}
    except JobGone:
        raise
    except StageError as err:
        return {"ok": False, "error": str(err)}
    except Exception as err:  # report to the job, keep serving the others
        return {"ok": False, "error": f"{type(err).__name__}: {err}"}
    finally:
        log.removeHandler(relay)


def serve_one(connection: socket.socket) -> None:
    """One job's request, its log lines as they come and the reply; a job killed meanwhile
    stops the decode at its next log line, gets nothing written for it (the job writes its
    transcript itself), and the worker serves on."""
    stream = connection.makefile("rwb")
    try:
        reply = handle(json.loads(stream.readline()), stream)
        stream.write(json.dumps(reply).encode() + b"\n")
        stream.flush()
    except (JobGone, BrokenPipeError, ConnectionResetError, ValueError):
        log.info("worker %d: the job that asked is gone; nothing written for it", os.getpid())
    finally:
        with contextlib.suppress(OSError):
            stream.close()


def serve(path: Path, idle_seconds: float = IDLE_SECONDS) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
    except OSError:
        return  # another worker won the race for this socket
    server.listen(8)
    server.settimeout(idle_seconds)
    log.info("worker %d serving on %s", os.getpid(), path)
    try:
        while True:
            try:
                connection, _ = server.accept()
            except socket.timeout:
                log.info("worker %d idle for %d s: exiting", os.getpid(), idle_seconds)
                break
            with connection:
                serve_one(connection)
    finally:
        server.close()
        path.unlink(missing_ok=True)


def connect(path: Path) -> socket.socket | None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(path))
        return client
    except (FileNotFoundError, ConnectionRefusedError):
        client.close()
        return None


def claim_slot(base: Path):
    """The first slot no other job holds: (its socket path, the open lock file holding it).
    Jobs running at once get workers of their own; a finished job frees its slot."""
    for slot in itertools.count():
        lock = open(base.with_name(f"{base.stem}-{slot}.lock"), "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return base.with_name(f"{base.stem}-{slot}.sock"), lock


def request(payload: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """Send one transcription to a warm worker of a free slot, starting it if needed; relay
    its log as it comes; return the transcript document."""
    path, slot = claim_slot(socket_path(payload["model_path"], payload["options"], payload["threads"]))
    with slot:
        return send(path, payload, timeout)


def send(path: Path, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
    client = connect(path)
    if client is None:
        path.unlink(missing_ok=True)  # a stale socket of a dead worker
        worker_log = open(path.with_suffix(".log"), "ab")
        subprocess.Popen(
            [sys.executable, __file__, str(path)], stdin=subprocess.DEVNULL, stdout=worker_log,
            stderr=worker_log, start_new_session=True, cwd=os.getcwd(),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while client is None:
            if time.monotonic() > deadline:
                raise StageError(f"the ASR worker did not start within {timeout:.0f} s; see {path.with_suffix('.log')}")
            time.sleep(0.05)
            client = connect(path)
        log.info("started a warm ASR worker (%s)", path)
    with client, client.makefile("rwb") as stream:
        stream.write(json.dumps(payload).encode() + b"\n")
        stream.flush()
        while True:  # the worker's log lines as it writes them, then the reply
            reply = json.loads(stream.readline() or b'{"ok": false, "error": "the ASR worker died"}')
            if "log" not in reply:
                break
            print(reply["log"], file=sys.stderr, flush=True)
    if not reply["ok"]:
        raise StageError(reply["error"])
    return reply["document"]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    watch_snakemake(f"worker {os.getpid()}: the Snakemake run it served (pid {{pid}}) has ended: exiting")
    # The job that started it stops its children once Snakemake is gone: leave no socket behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    with contextlib.suppress(LostSnakemake):
        serve(Path(sys.argv[1]))
