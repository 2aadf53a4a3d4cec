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

Its files (socket, slot locks, log) live in the project folder, the jobs' cwd, one folder per
Snakemake run: .snakemake/subtitles-asr/<pid>-<start>-<host hash>/<key>-<slot>.{sock,lock,log},
reached by that relative path, so that an AF_UNIX path stays short however deep the project
is. A worker removes its socket and log when it ends (idle, SIGTERM, its Snakemake gone), a job
the lock of its slot when it is done, the last one out the folder; each job first removes the
folders of this host's runs whose Snakemake is gone (what a kill -9 leaves). A worker that
fails has its log copied into the job's log, which names the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import errno
import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from subtitles_workflow.io import (
    SNAKEMAKE_PROCESS_VARIABLE,
    LostSnakemake,
    StageError,
    process_start_time,
    watch_snakemake,
)

IDLE_SECONDS = 60
# `auto`: the model load (0.5 s for base, several for large-v3) is a large share of a short
# clip's job; past this, in-process, where the stage's progress lines reach the log live.
AUTO_MAX_SECONDS = 600.0
CLUSTER_JOB_VARIABLES = ("SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "JOB_ID")
# The runs' folders, relative to the project folder (the jobs' and the workers' cwd): Snakemake's
# own state folder, which a run has anyway and git ignores.
WORKER_FOLDER = Path(".snakemake") / "subtitles-asr"
RUN_FOLDER = re.compile(r"(\d+)-(\d+)-([0-9a-f]{8})")  # <pid>-<start time>-<host hash>
SUN_PATH_MAX = 107  # bytes an AF_UNIX path may have (108 with the final NUL)
LOG_LINES_TO_JOB = 40  # of a failed worker's log, copied into the job's log
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


def _host_tag(host: str) -> str:
    return hashlib.sha256(host.encode()).hexdigest()[:8]


def run_folder() -> Path:
    """This run's folder (relative to the project folder): named after the Snakemake process
    the jobs watch, '<pid>-<start time>-<host hash>', so that a later run can tell a dead run's
    files from a live one's; 'by-hand' for a job run without the workflow's Snakemake."""
    run = os.environ.get(SNAKEMAKE_PROCESS_VARIABLE)
    if not run:
        return WORKER_FOLDER / "by-hand"
    parts = run.split()
    if len(parts) != 3:  # not process_identity()'s: never taken for a dead run's
        return WORKER_FOLDER / f"run-{hashlib.sha256(run.encode()).hexdigest()[:12]}"
    host, pid, start = parts
    return WORKER_FOLDER / f"{pid}-{start}-{_host_tag(host)}"


def socket_path(model_path: str, options: dict[str, Any], threads: int) -> Path:
    """One worker per Snakemake run, project folder, env, code, model and device settings, in
    the run's folder (relative: AF_UNIX paths are short; the key is hashed). Per run: a worker
    stops with its run, so a later run never reaches one that is about to go."""
    run = os.environ.get(SNAKEMAKE_PROCESS_VARIABLE)
    key = json.dumps(
        [run, os.getcwd(), *code_identity(), model_path, options.get("device"), options.get("compute_type"), threads]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return run_folder() / f"{digest}.sock"


def remove_dead_runs() -> None:
    """Remove the folders of this host's runs whose Snakemake has ended: what a kill -9 of a run
    (its jobs, its workers) left. A live run's, another host's and a hand run's are kept."""
    if process_start_time(os.getpid()) is None:  # no /proc: no telling
        return
    here = _host_tag(socket.gethostname())
    try:
        folders = list(os.scandir(WORKER_FOLDER))
    except OSError:  # none yet
        return
    for folder in folders:
        run = RUN_FOLDER.fullmatch(folder.name)
        if run and run[3] == here and process_start_time(int(run[1])) != run[2]:
            shutil.rmtree(folder.path, ignore_errors=True)
    _remove_if_empty(WORKER_FOLDER)


def _remove_if_empty(*folders: Path) -> None:
    """rmdir each, in order, while they are empty (another job's or worker's file keeps one)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _tidy(folder: Path) -> None:
    """The run's folder and the runs' folder, once the last job or worker of the run is done
    (only folders of WORKER_FOLDER's name: a socket path given by hand keeps its folder)."""
    if folder.parent.name == WORKER_FOLDER.name:
        _remove_if_empty(folder, folder.parent)


def _same_file(opened: Any, path: Path) -> bool:
    """Whether `path` still names the file `opened` (a fd or a file) has open."""
    try:
        named = os.stat(path)
    except OSError:
        return False
    held = os.fstat(opened if isinstance(opened, int) else opened.fileno())
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _address(path: Path) -> str:
    """The path to bind or connect: relative to the cwd (the project folder) when the absolute
    one is longer than an AF_UNIX path may be."""
    address = str(path)
    if len(os.fsencode(address)) > SUN_PATH_MAX and path.is_absolute():
        address = os.path.relpath(path)
    return address


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
    relay = _Relay(stream)
    log.addHandler(relay)
    # The level of the job that asks (its `debug`): one worker serves jobs with it on and off.
    log.setLevel(logging.DEBUG if request.get("debug") else logging.INFO)
    log.debug("worker %d: transcribing %s for the job that asked (DEBUG on)", os.getpid(), request["audio"])
    try:
        from subtitles_workflow.asr_options import AsrOptions
        from subtitles_workflow.transcription import transcribe  # in the try: an env missing a module is the job's one line

        document = transcribe(
            Path(request["audio"]),
            model_name=request["model_name"],
            model_path=request["model_path"],
            language=request["language"],
            options=AsrOptions.from_mapping(request["options"]),
            threads=request["threads"],
            speech_regions=request["speech_regions"],
            language_policy=request.get("language_policy"),
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
        log.setLevel(logging.INFO)


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
        server.bind(_address(path))
    except OSError as err:
        server.close()
        if err.errno == errno.EADDRINUSE:
            return  # another worker won the race for this socket
        raise  # into the worker's log, which the job copies into its own
    bound = os.stat(path)
    server.listen(8)
    server.settimeout(idle_seconds)
    log.info("worker %d serving on %s", os.getpid(), path)
    ended = False  # as it should: idle, SIGTERM, its Snakemake gone (a crash keeps its log)
    try:
        while True:
            try:
                connection, _ = server.accept()
            except socket.timeout:
                log.info("worker %d idle for %d s: exiting", os.getpid(), idle_seconds)
                break
            with connection:
                serve_one(connection)
        ended = True
    except (SystemExit, LostSnakemake, KeyboardInterrupt):
        ended = True
        raise
    finally:
        if ended:  # before the socket goes: a job starts the next worker's log only after that
            _remove_own_log(path.with_suffix(".log"))
        server.close()
        with contextlib.suppress(OSError):
            if os.path.samestat(os.stat(path), bound):  # not a later worker's
                path.unlink()
        _tidy(path.parent)


def _remove_own_log(worker_log: Path) -> None:
    """The worker's log, if its stderr is that file (a worker started by send())."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
        if _same_file(sys.stderr.fileno(), worker_log):
            worker_log.unlink()


def connect(path: Path) -> socket.socket | None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(_address(path))
        return client
    except (FileNotFoundError, ConnectionRefusedError):
        client.close()
        return None


class Slot:
    """A claimed slot: its lock file, open and locked. Closing it frees the slot and removes
    the lock file, while still holding the lock: a job that opened the file meanwhile finds it
    no longer at its path once it gets the lock, and claims the slot afresh (claim_slot)."""

    def __init__(self, path: Path, lock: Any) -> None:
        self.path, self.lock = path, lock

    def close(self) -> None:
        if self.lock.closed:
            return
        with contextlib.suppress(OSError):
            if _same_file(self.lock, self.path):
                self.path.unlink()
        self.lock.close()
        _tidy(self.path.parent)

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def claim_slot(base: Path) -> tuple[Path, Slot]:
    """The first slot no other job holds: (its socket path, the Slot holding it). Jobs running
    at once get workers of their own; a finished job frees its slot."""
    for slot in itertools.count():
        path = base.with_name(f"{base.stem}-{slot}.lock")
        while True:
            try:
                lock = open(path, "a")
            except FileNotFoundError:  # the run's folder: not made yet, or just removed as empty
                # made and removed again by other jobs meanwhile (pathlib then raises either): again
                with contextlib.suppress(FileNotFoundError, FileExistsError):
                    path.parent.mkdir(parents=True, exist_ok=True)
                continue
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                break  # held: the next slot
            if _same_file(lock, path):
                return base.with_name(f"{base.stem}-{slot}.sock"), Slot(path, lock)
            lock.close()  # freed and removed while this job opened it: again
    raise AssertionError("unreachable")


def request(payload: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """Send one transcription to a warm worker of a free slot, starting it if needed; relay
    its log as it comes; return the transcript document."""
    remove_dead_runs()
    path, slot = claim_slot(socket_path(payload["model_path"], payload["options"], payload["threads"]))
    with slot:
        return send(path, payload, timeout)


def _copy_log_to_job(worker_log: Path) -> str | None:
    """The last lines of a failed worker's log, into the job's log (stderr); its last line, or
    None when there is no log."""
    try:
        lines = worker_log.read_text(errors="replace").splitlines()[-LOG_LINES_TO_JOB:]
    except OSError:
        return None
    print(f"the ASR worker's log ({worker_log.absolute()}), its last lines:", file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)
    sys.stderr.flush()
    return next((line.strip() for line in reversed(lines) if line.strip()), "")


def send(path: Path, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
    worker_log = path.with_suffix(".log")
    remedy = "set asr.worker: false to transcribe in the job itself"
    client = connect(path)
    if client is None:
        path.unlink(missing_ok=True)  # a stale socket of a dead worker
        with open(worker_log, "ab") as log_file:
            worker = subprocess.Popen(
                [sys.executable, __file__, str(path)], stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=log_file, start_new_session=True, cwd=os.getcwd(),
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while client is None:
            ended = worker.poll() is not None  # before connecting: then no connection means none
            client = connect(path)
            if client is not None:
                break
            if ended:
                last = _copy_log_to_job(worker_log)  # the job's log keeps it: the file goes
                worker_log.unlink(missing_ok=True)
                why = f"status {worker.returncode}" + (f": {last}" if last else "")
                raise StageError(f"the ASR worker ended before serving ({why}); {remedy}")
            if time.monotonic() > deadline:
                _copy_log_to_job(worker_log)
                raise StageError(
                    f"the ASR worker did not start within {timeout:.0f} s; see {worker_log.absolute()}; {remedy}"
                )
            time.sleep(0.05)
        log.info("started a warm ASR worker (%s)", path)
    with client, client.makefile("rwb") as stream:
        stream.write(json.dumps(payload).encode() + b"\n")
        stream.flush()
        while True:  # the worker's log lines as it writes them, then the reply
            line = stream.readline()
            if not line:
                left = _copy_log_to_job(worker_log) is not None
                where = f" (its log: {worker_log.absolute()})" if left else ""
                raise StageError(f"the ASR worker died{where}; {remedy}")
            reply = json.loads(line)
            if "log" not in reply:
                break
            print(reply["log"], file=sys.stderr, flush=True)
    if not reply["ok"]:
        raise StageError(reply["error"])
    return reply["document"]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    watch_snakemake(f"worker {os.getpid()}: the Snakemake run it served (pid {{pid}}) has ended: exiting")
    # The job that started it stops its children once Snakemake is gone: leave no socket or log behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    with contextlib.suppress(LostSnakemake):
        serve(Path(sys.argv[1]))
