"""The workflow on a real SLURM cluster: profiles/slurm with snakemake-executor-plugin-slurm,
on a single-node cluster this machine runs (tests/cluster/start-local-slurm.sh, root, Debian).

Checks that every stage was submitted with sbatch and recorded by SLURM accounting, that the
cluster run produces what a local run produces (the same subtitle text, a muxed video with an
English subtitle track), and that a second cluster run submits nothing.

Opt-in: RUN_SLURM=1 .venvs/workflow/bin/python -m pytest tests/cluster -x  (tests/cluster/README.md)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PROJECT, copy_project, snakemake

# The cluster orchestrator env (`make slurm-env`): the workflow env plus the SLURM executor.
SLURM_PYTHON = PROJECT / ".venvs" / "workflow-slurm" / "bin" / "python"

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(
        os.environ.get("RUN_SLURM") != "1",
        reason="starts a local SLURM cluster (root, apt); set RUN_SLURM=1 to run",
    ),
]

CLUSTER_DIR = Path(__file__).resolve().parent
START = CLUSTER_DIR / "start-local-slurm.sh"
STOP = CLUSTER_DIR / "stop-local-slurm.sh"
STAGE_RULES = {"demux_audio", "asr_transcribe", "subtitles_render", "mux_video"}
# The local reference run gets --cores 2, which caps asr_transcribe (threads: 4) at 2 threads;
# the cluster run asks for the same 2 (--cpus-per-task=2), so both decode alike on any host.
ASR_THREADS = "asr_transcribe=2"


def run(cmd: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


def cluster_is_up() -> bool:
    try:
        return run(["scontrol", "ping"], timeout=30).returncode == 0 and run(["sacct", "-n", "-X"], timeout=30).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def slurm_cluster():
    """A running cluster; stopped afterwards only if this fixture started it."""
    if os.geteuid() != 0:
        pytest.fail(f"RUN_SLURM=1 needs root: {START.name} installs packages and starts the daemons")
    if not SLURM_PYTHON.exists():
        done = run(["make", "-C", str(PROJECT), "slurm-env"], timeout=900)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    was_up = cluster_is_up()
    started = time.monotonic()
    done = run([str(START)], timeout=900)
    if done.returncode != 0:
        pytest.fail(f"{START.name} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    print(f"cluster up in {time.monotonic() - started:.1f} s (already running: {was_up})")
    yield
    if not was_up:
        run([str(STOP)], timeout=300)


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory) -> Path:
    """in/demo.mp4, generated once (espeak-ng + ffmpeg) and copied into both projects."""
    deps = run([str(PROJECT / "scripts" / "install-system-deps.sh")], timeout=900)
    assert deps.returncode == 0, deps.stderr[-3000:]
    media = tmp_path_factory.mktemp("media") / "demo.mp4"
    # sys.executable is the workflow venv's python when pytest runs as `make test` runs it.
    done = run([sys.executable, str(PROJECT / "scripts" / "make_demo_media.py"), str(media)], timeout=300)
    assert done.returncode == 0 and media.is_file(), done.stderr[-3000:]
    return media


def subtitle_streams(video: Path) -> list[dict]:
    done = run(["ffprobe", "-v", "error", "-select_streams", "s", "-show_streams", "-of", "json", str(video)], timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout).get("streams", [])


def slurm_snakemake(workdir: Path, timeout: float = 1800) -> subprocess.CompletedProcess:
    """snakemake --profile <workdir>/profiles/slurm, as a user would run it on a login node."""
    cmd = [str(SLURM_PYTHON), "-m", "snakemake", "--profile", str(workdir / "profiles" / "slurm"), "--set-threads", ASR_THREADS]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return run(cmd, timeout=timeout, cwd=workdir, env=env)


def sacct_jobs(job_ids: list[str]) -> list[dict[str, str]]:
    fields = ["JobID", "JobName", "Comment", "Partition", "State", "ExitCode", "AllocCPUS", "ReqMem", "Elapsed"]
    done = run(["sacct", "-X", "-n", "-P", "-j", ",".join(job_ids), "-o", ",".join(fields)], timeout=60)
    assert done.returncode == 0, done.stderr
    return [dict(zip(fields, line.split("|"))) for line in done.stdout.splitlines() if line.strip()]


def test_workflow_on_slurm_matches_local_run(slurm_cluster, demo_media, tmp_path):
    cluster_project = copy_project(tmp_path / "cluster")
    local_project = copy_project(tmp_path / "local")
    for project in (cluster_project, local_project):
        shutil.copy2(demo_media, project / "in" / "demo.mp4")

    started = time.monotonic()
    done = slurm_snakemake(cluster_project)
    cluster_seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"cluster run failed ({done.returncode}):\n{output[-8000:]}"

    # Every stage job went through sbatch, and SLURM accounting has it, finished and clean.
    run_id = re.search(r"SLURM run ID: (\S+)", output)
    assert run_id, output[-4000:]
    job_ids = re.findall(r"submitted with SLURM jobid (\d+)", output)
    assert len(job_ids) >= len(STAGE_RULES), output[-4000:]
    jobs = sacct_jobs(job_ids)
    assert sorted(job["JobID"] for job in jobs) == sorted(job_ids), jobs
    for job in jobs:
        assert job["JobName"] == run_id[1], job
        assert job["State"] == "COMPLETED" and job["ExitCode"] == "0:0", job
    ran_rules = {re.match(r"rule_(\w+?)(_wildcards_|$)", job["Comment"])[1] for job in jobs}
    assert STAGE_RULES <= ran_rules, jobs
    for job in jobs:
        print("sacct:", " ".join(f"{key}={value}" for key, value in job.items()))
    print(f"cluster run: {cluster_seconds:.1f} s, {len(jobs)} SLURM jobs")

    # Up to date: a second cluster run submits nothing (job metadata was recorded on the
    # shared filesystem). Checked at once: a rebuild of the shared envs by someone else
    # (`snakemake envs` in the project) would rightly make stages stale again.
    again = slurm_snakemake(cluster_project, timeout=600)
    again_output = again.stdout + again.stderr
    assert again.returncode == 0, again_output[-4000:]
    assert "Nothing to be done" in again_output, again_output[-4000:]
    assert "submitted with SLURM jobid" not in again_output

    started = time.monotonic()
    snakemake(local_project)
    print(f"local run (--cores 2): {time.monotonic() - started:.1f} s")

    # Same subtitles as the local run, byte for byte.
    cluster_srt = (cluster_project / "out" / "demo.en.srt").read_text(encoding="utf-8")
    local_srt = (local_project / "out" / "demo.en.srt").read_text(encoding="utf-8")
    assert "Welcome" in cluster_srt
    assert cluster_srt == local_srt

    # The muxed video carries the English track, as the local one does.
    cluster_tracks = subtitle_streams(cluster_project / "out" / "demo.mp4")
    assert [track.get("tags", {}).get("language") for track in cluster_tracks] == ["eng"], cluster_tracks
    local_tracks = subtitle_streams(local_project / "out" / "demo.mp4")
    assert [(t["codec_name"], t.get("tags", {}).get("language")) for t in cluster_tracks] == [
        (t["codec_name"], t.get("tags", {}).get("language")) for t in local_tracks
    ]
