"""The logger plugin under a real Snakemake, on a small workflow of four films (no stage envs,
no media): the summary and the status lines come from Snakemake's job events, in a plain
non-TTY log as CI and SLURM keep it. Fails when Snakemake stops sending what the plugin reads.
Last, the workflow's own summary on two short films: it counts only the films asked for."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SCRIPTS, copy_project, fixture, requires_fixtures, snakemake

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


def python_path() -> str:
    """scripts/ (decode.py imports the package) before this process's PYTHONPATH (a plugin
    checkout under test)."""
    return os.pathsep.join(filter(None, [str(SCRIPTS), os.environ.get("PYTHONPATH")]))


def run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Snakemake with its output in pipes (no TTY), as in CI or a SLURM job's log."""
    command = [sys.executable, "-m", "snakemake", "--cores", "2", "--keep-going", *args]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=python_path())
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=300, env=env)


def test_the_summary_and_the_status_lines_come_from_the_plugin(workflow):
    done = run(workflow, "--logger", "subtitles", "--logger-subtitles-interval", "0.5")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    summary = output[output.index("summary: "):].splitlines()
    assert summary == [
        "summary: 2 built, 1 up to date, 1 failed",
        "  built:      good -> out/good.txt",
        "  built:      slow -> out/slow.txt",
        "  up to date: old",  # out/old.txt is no path of the subtitles workflow's
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


def stopped_run_summary(process: subprocess.Popen, stop: int, ready, timeout: float, what: str) -> list[str]:
    """Send `stop` to the run's process group once `ready()`, and return its summary lines."""
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert time.monotonic() < deadline and process.poll() is None, what
            time.sleep(0.05)
        os.killpg(process.pid, stop)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode != 0, output[-3000:]
    return output[output.index("summary: "):].splitlines()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=lambda stop: stop.name)
def test_a_ctrl_c_calls_the_film_in_flight_interrupted_not_failed(workflow, stop):
    """Ctrl-C in a terminal sends SIGINT to the whole process group (Snakemake and its jobs);
    so does a batch system's SIGTERM. The film being decoded is cut short: interrupted."""
    (workflow / "decode.py").write_text(DECODE.replace("time.sleep(1.2)", "time.sleep(20)"))
    command = [sys.executable, "-m", "snakemake", "--cores", "2", "--keep-going", "--logger", "subtitles",
               "--logger-subtitles-interval", "0"]  # fmt: skip
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=python_path())
    # Its own process group, with SIGINT's default action even if pytest runs where SIGINT is
    # ignored (nohup, &): Python then turns it into KeyboardInterrupt, as in a terminal.
    process = subprocess.Popen(command, cwd=workflow, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    log = workflow / "logs" / "transcribe" / "slow.log"

    def decoding() -> bool:
        return log.exists() and "progress: " in log.read_text() and (workflow / "out" / "good.txt").exists()

    summary = stopped_run_summary(process, stop, decoding, 120, "slow never started decoding")
    assert summary == [
        "summary: 1 built, 1 up to date, 1 failed, 1 interrupted (run again to finish)",
        "  built:      good -> out/good.txt",
        "  up to date: old",
        "  failed:     bad: in/bad.mp4: not readable as audio/video (log: logs/transcribe/bad.log)",
        "  interrupted: slow",
    ], summary
    assert not (workflow / "out" / "slow.txt").exists()


# -- the workflow's own summary (rules/hooks.smk announces the films asked for that get no job)
@requires_fixtures
def test_the_summary_counts_only_the_films_asked_for(tmp_path):
    work = copy_project(tmp_path / "project")
    for name in ("a", "b"):
        shutil.copy2(fixture("en/jfk.flac"), work / "in" / f"{name}.flac")

    def summary(*targets: str) -> list[str]:
        """The summary's first line, then each film's line up to its name."""
        done = snakemake(work, *targets)
        output = done.stdout + done.stderr
        first, *films = output[output.index("summary: "):].splitlines()
        return [first, *(re.sub(r"^(  [a-z ]+: +[ab])(:| ->) .*", r"\1", line) for line in films)]

    assert summary("out/b.en.srt") == ["summary: 1 built, 0 up to date, 0 failed", "  built:      b"]
    # b is built, but this run does not ask for it: it is not "up to date" in it.
    assert summary("out/a.en.srt") == ["summary: 1 built, 0 up to date, 0 failed", "  built:      a"]
    # A plain `snakemake` asks for every film: b, which gets no job, is.
    (work / "out" / "a.en.srt").unlink()
    assert summary() == ["summary: 1 built, 1 up to date, 0 failed", "  built:      a", "  up to date: b"]


@requires_fixtures
def test_a_ctrl_c_during_asr_leaves_both_films_interrupted(tmp_path):
    """The workflow itself: Ctrl-C while film a is transcribed. a's asr is cut short, b's demux
    is done but its asr never ran: neither film is built, neither failed."""
    work = copy_project(tmp_path / "project")
    for name in ("a", "b"):
        shutil.copy2(fixture("en/jfk.flac"), work / "in" / f"{name}.flac")
    process = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=work, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True,
                               env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    summary = stopped_run_summary(
        process, signal.SIGINT, lambda: bool(list(work.glob("logs/asr/*.log"))), 300, "no asr job started"
    )
    assert summary == [
        "summary: 0 built, 0 up to date, 0 failed, 2 interrupted (run again to finish)",
        "  interrupted: a",
        "  interrupted: b",
    ], summary


@requires_fixtures
def test_a_film_s_line_gives_its_cues_its_problems_its_language_and_its_out_paths(tmp_path):
    """A real short film (espeak-ng speech, mp4) whose language is detected: its summary line
    carries its cue count and its QC problems by kind, as its QC report has them, the language
    detected, and its paths in out/; the same line once it is up to date."""
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng not installed (scripts/install-system-deps.sh)")
    import matrix_media
    from subtitles_workflow.subtitle_qc import NOTE_KINDS

    work = copy_project(tmp_path / "project")
    (work / "config" / "media.tsv").write_text("name\tsource_language\taudio_stream\nfriday\tauto\t\n")
    matrix_media.speech(work / "in" / "friday.mp4", "Hello there. How are you today? " + matrix_media.SENTENCE)

    def summary() -> list[str]:
        done = snakemake(work)
        output = done.stdout + done.stderr
        return output[output.index("summary: "):].splitlines()

    first, line = summary()
    qc = json.loads((work / "work" / "qc" / "friday.en.srt.json").read_text())
    assert first == "summary: 1 built, 0 up to date, 0 failed"
    assert line.startswith(f"  built:      friday: {qc['cues']} cues (en), {qc['problems']} problem"), line
    assert qc["cues"] > 0, qc
    for kind, count in qc["counts"].items():
        if count and kind not in NOTE_KINDS:  # the QC's notes are no problems
            assert f"{kind} {count}" in line, (kind, line)
    assert re.search(r"; (WARNING )?language( guessed:)? 'en',? \(?p [01]\.\d\d", line), line
    assert line.endswith(" -> out/friday.en.srt, out/friday.mp4"), line
    # The next run, for a new film (a run with nothing to do prints no summary; one with a
    # film whose language is still to be detected knows no film up to date at its start):
    # friday is up to date, with the same line, from what work/ and out/ hold for it.
    matrix_media.speech(work / "in" / "saturday.wav", "One, two, three, four.")
    first, *lines = summary()
    assert first == "summary: 1 built, 1 up to date, 0 failed"
    assert lines[0].startswith("  built:      saturday: ") and lines[0].endswith(" -> out/saturday.en.srt"), lines
    assert lines[1:] == [line.replace("  built:      ", "  up to date: ")]
