"""Atomic writes, logging set-up and the job's lifetime, shared by the stage scripts."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside `path`; rename it into place only if the block succeeds.

    Same directory, so the rename is atomic: a crash, kill or full disk never leaves a
    truncated artifact under the final name for a later run to trust.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; artifacts get normal modes
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(text: str, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(data: object, path: str | os.PathLike) -> None:
    write_text_atomic(json.dumps(data, ensure_ascii=False, indent=1) + "\n", path)


def read_json(path: str | os.PathLike, what: str = "intermediate") -> Any:
    """An intermediate another stage wrote; a damaged one is one clear line, not a traceback."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StageError(f"{path}: unreadable {what} ({err}); delete it and re-run") from None


def run_tool(cmd: list[str], failure: str, remedy: str = "", **kwargs: Any) -> subprocess.CompletedProcess:
    """Run ffmpeg/ffprobe (argv, no shell); on failure raise StageError("<failure> (<last line
    of its stderr>); <remedy>")."""
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise StageError(f"{failure} ({reason})" + (f"; {remedy}" if remedy else ""))
    return done


# The config's `debug` reaches the jobs in this variable, never as a param (a param re-runs every
# stage when it changes, and debug changes logs only): rules/common/config.smk sets it while the
# workflow is parsed, and the jobs inherit Snakemake's environment (a cluster job's Snakemake
# parses the workflow with the same config, so it sets it too).
DEBUG_VARIABLE = "SUBTITLES_DEBUG"


def debug_requested(flag: bool = False) -> bool:
    """Whether the stage logs at DEBUG: `--debug` (a script run by hand), or the workflow's
    `debug: true` (DEBUG_VARIABLE)."""
    return flag or os.environ.get(DEBUG_VARIABLE) == "1"


def setup_logging(debug: bool = False) -> logging.Logger:
    """Log to stderr (the rule redirects it into its log file) and record the interpreter,
    so every job log shows which environment it really ran on. With `debug` (or the workflow's
    `debug: true`), the stage's own logger logs its decisions at DEBUG; libraries stay at INFO
    (matplotlib, transformers and the like would bury them)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    log = logging.getLogger("stage")
    log.setLevel(logging.DEBUG if debug_requested(debug) else logging.INFO)
    log.info("interpreter: %s (Python %s)", sys.executable, sys.version.split()[0])
    return log


class StageError(Exception):
    """A user-facing failure: printed as one line naming the file and the remedy."""


def run_cli(main, argv: list[str] | None = None) -> int:
    """Run a stage's main(); turn StageError, and file-system errors (read-only folder, disk
    full), into one line naming the file and the remedy, and exit status 1. Under Snakemake,
    the stage also stops within seconds of losing it (watch_snakemake)."""
    watch_snakemake()
    try:
        message = None
        try:
            main(argv)
        except StageError as err:
            message = str(err)
        except OSError as err:
            where = err.filename or "output"
            message = f"{where}: {err.strerror or err}; check that its folder is writable and the disk has free space"
        # A lost Snakemake is the cause whatever the stage says: a worker or child that noticed
        # first made the stage fail before the watchdog's next look.
        if snakemake_lost():
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # the watchdog has nothing left to break off
            report_lost_snakemake()
            terminate_children()
            return 1
    except LostSnakemake:
        terminate_children()  # before exiting: the watchdog thread dies with the process
        return 1  # the watchdog has said why
    if message is None:
        return 0
    logging.getLogger("stage").error("%s", message)
    print(f"error: {message}", file=sys.stderr)
    return 1


# ------------------------------------------------------------------------ the job's lifetime
# Snakemake starts a stage through `bash -c`, so the stage is its grandchild: after a kill -9
# of Snakemake nothing stops it, and a resumed run would start the same job beside it.
# rules/hooks.smk names the Snakemake process in this variable (jobs inherit it).
SNAKEMAKE_PROCESS_VARIABLE = "SUBTITLES_SNAKEMAKE_PROCESS"


def process_start_time(pid: int) -> str | None:
    """When the process started (field 22 of /proc/<pid>/stat, clock ticks after boot), or None
    when it is gone, a zombie, or there is no /proc. With the pid it names one process: pids
    are reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # from field 3 on; the name before may hold spaces
    state, start = fields[0], fields[22 - 3]
    return None if state in ("Z", "X") else start


def process_identity(pid: int | None = None) -> str | None:
    """'<host> <pid> <start time>' of a process (this one by default); None without /proc."""
    pid = os.getpid() if pid is None else pid
    start = process_start_time(pid)
    return f"{socket.gethostname()} {pid} {start}" if start else None


def process_alive(identity: str) -> bool | None:
    """Whether the process process_identity() named still runs; None when it runs on another
    host (this one cannot tell)."""
    host, pid, start = identity.split()
    if host != socket.gethostname():
        return None
    return process_start_time(int(pid)) == start


class LostSnakemake(BaseException):
    """Raised in the main thread once the Snakemake that started the stage is gone; a
    BaseException, so that no `except Exception` in a stage holds it up."""


# Set once the Snakemake is known to be gone: the stage then fails whatever it returns.
LOST = threading.Event()
# What watch_snakemake() watches: the Snakemake's identity and the line that says it is gone.
_watched: tuple[str, str] | None = None
_lost_said = threading.Lock()  # held by whichever thread said it: the line is written once


def _raise_lost_snakemake(signum, frame) -> None:
    raise LostSnakemake


LOST_SNAKEMAKE = "error: this job lost its Snakemake (pid {pid} ended) and stopped; the next run redoes it"


def snakemake_lost() -> bool:
    """Whether the watched Snakemake is gone, looked at now (not at the watchdog's next poll)."""
    return LOST.is_set() or (_watched is not None and not process_alive(_watched[0]))


def report_lost_snakemake() -> bool:
    """Mark the Snakemake lost and say so, once per process; True for the caller that said it."""
    LOST.set()
    if not _lost_said.acquire(blocking=False):
        return False
    identity, message = _watched
    print(message.format(pid=identity.split()[1]), file=sys.stderr, flush=True)
    return True


def watch_snakemake(message: str = LOST_SNAKEMAKE, poll_seconds: float = 1.0, grace_seconds: float = 3.0) -> None:
    """Under Snakemake (the variable names it), watch it from a daemon thread; once it is gone,
    write `message`, stop this process's children, raise LostSnakemake in the main thread
    (atomic writes then remove their temp files) and exit 1 at the latest `grace_seconds`
    later. Without the variable (a script run by hand), nothing. Call from the main thread."""
    global _watched
    snakemake_process = os.environ.get(SNAKEMAKE_PROCESS_VARIABLE)
    if not snakemake_process or process_alive(snakemake_process) is None:
        return
    _watched = (snakemake_process, message)
    # A signal of its own, delivered to the main thread: it also breaks off a blocking wait,
    # and works where SIGINT is ignored (a run started with nohup or &).
    signal.signal(signal.SIGUSR1, _raise_lost_snakemake)

    def watch() -> None:
        while process_alive(snakemake_process):
            time.sleep(poll_seconds)
        if not report_lost_snakemake():
            return  # the main thread saw it first and is on its way out
        # The main thread first: stopped children would let a wait on them return, and the
        # stage could then finish as if nothing happened.
        signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
        time.sleep(0.2)
        terminate_children()
        time.sleep(grace_seconds)
        os._exit(1)  # the main thread did not get back to Python in time (busy in native code)

    threading.Thread(target=watch, name="snakemake-watchdog", daemon=True).start()


def terminate_children() -> None:
    """SIGTERM this process's own children (ffmpeg, the ASR worker it started), one by one:
    never a process group, which may hold processes that are not ours."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = stat.read_text().rsplit(")", 1)[1].split()[4 - 3]
        except OSError:
            continue
        if parent == me:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(stat.parent.name), signal.SIGTERM)
