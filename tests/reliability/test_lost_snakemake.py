"""Snakemake killed with -9 mid-run: its running stage job stops within seconds instead of
carrying on beside the next run, and a second run beside a live one is told that one is
active (not to --unlock), while a dead run's record blocks nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_project, fixture, snakemake

DEADLINE = 10  # seconds for a stage to notice that its Snakemake is gone ("a few seconds")


@pytest.fixture
def work(tmp_path) -> Path:
    """A project with one 5-minute film (JFK looped): its asr job runs for minutes."""
    work = copy_project(tmp_path / "project")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-stream_loop", "26", "-i", fixture("en/jfk.flac"),
                    "-c:a", "flac", work / "in" / "long.flac"], check=True)  # fmt: skip
    return work


def start(work: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def asr_running(work: Path) -> bool:
    """The asr stage's main() has started (its log names the interpreter)."""
    log = work / "logs" / "asr" / "long.log"
    return log.exists() and "interpreter:" in log.read_text()


def stage_pids(work: Path, script: str) -> list[int]:
    """The stage's own Python processes in this project (not the bash that starts them)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().decode().split("\0")
            cwd = os.readlink(proc / "cwd")
        except (OSError, ValueError):
            continue
        if len(argv) > 1 and Path(argv[0]).name.startswith("python") and argv[1].endswith(f"scripts/{script}") and cwd == str(work):
            pids.append(int(proc.name))
    return pids


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def kill_leftovers(work: Path) -> None:
    for pid in stage_pids(work, "asr.py"):
        os.kill(pid, signal.SIGKILL)


def test_kill_9_of_snakemake_stops_its_running_stage_job(work):
    runner = start(work)
    try:
        wait_for(lambda: asr_running(work), 600, "the asr job")
        asr = stage_pids(work, "asr.py")
        assert asr
        os.kill(runner.pid, signal.SIGKILL)  # Snakemake alone; left unreaped, a zombie for now
        wait_for(lambda: all(gone(pid) for pid in asr), DEADLINE, "the asr job to stop after its Snakemake died")
    finally:
        kill_leftovers(work)
        runner.kill()
        runner.wait()
    assert "error: this job lost its Snakemake" in (work / "logs" / "asr" / "long.log").read_text()
    assert not (work / "work" / "asr" / "long.json").exists() and not list(work.glob("out/*"))
    assert [p.name for p in (work / "work" / "asr").iterdir()] == []  # no temp file either


def test_a_second_run_is_told_another_is_active_and_a_dead_ones_record_blocks_nothing(work):
    first = start(work)
    try:
        wait_for(lambda: asr_running(work), 600, "the first run's asr job")
        second = snakemake(work, check=False)
        output = second.stdout + second.stderr
        errors = [line for line in output.splitlines() if line.startswith("error:")]
        assert second.returncode != 0 and len(errors) == 1, output[-3000:]
        assert f"another run is active in it (pid {first.pid}, since " in errors[0], output[-3000:]
        assert "wait for it to finish, or stop it" in errors[0] and "--unlock" not in output
        # A dry run is never refused, and records nothing.
        dry = snakemake(work, "-n", check=False)
        assert dry.returncode == 0 and "another run is active" not in dry.stdout + dry.stderr
        record = json.loads((work / ".snakemake" / "subtitles-active-run.json").read_text())
        assert record["pid"] == first.pid
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        wait_for(lambda: not stage_pids(work, "asr.py"), DEADLINE, "the first run's asr job to stop")
    finally:
        first.kill()
        first.wait()
        kill_leftovers(work)
    # The killed run's record is stale: Snakemake's own lock message applies, and --unlock works.
    stale = snakemake(work, check=False)
    output = stale.stdout + stale.stderr
    assert stale.returncode != 0 and "another run is active" not in output
    assert "Directory cannot be locked" in output and "--unlock" in output, output[-3000:]
    snakemake(work, "--unlock")
    snakemake(work, "work/demux/long.wav")  # a real run locks the folder again
