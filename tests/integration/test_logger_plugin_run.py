"""The logger plugin under a real Snakemake, on a small workflow of four films (no stage envs,
no media): the summary and the status lines come from Snakemake's job events, in a plain
non-TTY log as CI and SLURM keep it. Fails when Snakemake stops sending what the plugin reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SCRIPTS

# A stand-in for asr: decodes 3 "segments" of a 300 s film, 100 s each, writing its progress
# lines with the project's own writer (scripts/subtitles_workflow/progress.py).
DECODE = """
import time
from types import SimpleNamespace
import subtitles_workflow.progress
from subtitles_workflow.io import setup_logging

subtitles_workflow.progress.EVERY_SECONDS = 0
setup_logging()
for segment in subtitles_workflow.progress.audio_progress((SimpleNamespace(end=end) for end in (100, 200, 300)), 300.0):
    time.sleep(1.2)
"""

SNAKEFILE = f"""
from snakemake_logger_plugin_subtitles import announce_films

FILMS = ["good", "bad", "old", "slow"]


onstart:
    announce_films(["old"])  # built before this run


rule all:
    input:
        expand("out/{{name}}.txt", name=FILMS),
    localrule: True


rule transcribe:
    output:
        "out/{{name}}.txt",
    log:
        "logs/transcribe/{{name}}.log",
    shell:
        '''
        case {{wildcards.name}} in
          bad) echo "error: in/bad.mp4: not readable as audio/video" > {{log}}; exit 1;;
          slow) {sys.executable} decode.py 2> {{log}};;
        esac
        echo done > {{output}}
        '''
"""


@pytest.fixture
def workflow(tmp_path: Path) -> Path:
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    (tmp_path / "decode.py").write_text(DECODE)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("built by an earlier run\n")
    return tmp_path


def run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Snakemake with its output in pipes (no TTY), as in CI or a SLURM job's log."""
    command = [sys.executable, "-m", "snakemake", "--cores", "2", "--keep-going", *args]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(SCRIPTS))  # decode.py imports the package
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=300, env=env)


def test_the_summary_and_the_status_lines_come_from_the_plugin(workflow):
    done = run(workflow, "--logger", "subtitles", "--logger-subtitles-interval", "0.5")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    summary = output[output.index("summary: "):].splitlines()
    assert summary == [
        "summary: 2 built, 1 up to date, 1 failed",
        "  built:      good",
        "  built:      slow",
        "  failed:     bad: in/bad.mp4: not readable as audio/video (log: logs/transcribe/bad.log)",
    ], output[-3000:]
    status = [line for line in output.splitlines() if line.startswith("status: ")]
    assert any("running: transcribe slow (" in line and "s of audio decoded" in line for line in status), output
    assert any(" left)" in line for line in status), output
    assert all(" of 4 jobs done, " in line for line in status), status  # RUN_INFO's and PROGRESS's totals
    assert "\033[" not in output  # no colour or cursor control in a log
    # Snakemake's own output is still there, unchanged.
    assert "Job stats:" in output and "Error in rule transcribe:" in output


def test_without_the_plugin_there_is_no_summary(workflow):
    done = run(workflow, "--logger-subtitles-interval", "0.5")
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Job stats:" in output, output[-3000:]
    assert "summary: " not in output and "status: " not in output


def test_a_dry_run_has_no_summary(workflow):
    done = run(workflow, "-n", "--logger", "subtitles")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "summary: " not in done.stdout + done.stderr
