"""A film name is data, never shell code, with every optional stage on (QC report, shots,
burn-in, translation, a variant): each shell line the plan holds is run by bash, with the stage
interpreters replaced by a recorder of their arguments. The name must reach every command
whole, or be refused in one line; it must never run anything."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import copy_project, update_config
from project import private_envs

SENTINEL = "PWNED"
# Every optional stage whose rule takes the film's name or path.
ALL_STAGES_ON = {
    "qc_report": True,
    "shots": {"activate": True},
    "burn_in_language": "source",
    "target_languages": ["en", "fr"],
    "translate": {"backends": {"en-fr": "marian"}, "models": {"marian": "/no/model/needed/for/a/plan"}},
    "variants": {"narrow": {"subtitles": {"max_line_chars": 30}}},
}
RECORDER = """#!{python}
import json, os, sys, uuid
with open(os.path.join(os.environ["ARGV_RECORDS"], uuid.uuid4().hex + ".json"), "w") as out:
    json.dump(sys.argv[1:], out)
"""
# A job's block in a dry run's output, and its log path and shell line.
JOB_START = re.compile(r"\n\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\]\n")
LOG = re.compile(r"\n    log: (.*?)\n    jobid:", re.S)
SHELL = re.compile(r"\nShell command: (.*)", re.S)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy with every optional stage on, whose stage interpreters only record their argv."""
    root = tmp_path_factory.mktemp("hostile")
    work = copy_project(root / "project", **private_envs(root))
    update_config(work, ALL_STAGES_ON)
    recorder = work / "scripts" / "run-in-env"  # every stage's command starts with it
    recorder.write_text(RECORDER.format(python=sys.executable))
    clip = root / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=1",
         "-f", "lavfi", "-i", "sine=duration=1", "-shortest", "-pix_fmt", "yuv420p", str(clip)],
        check=True,
    )  # fmt: skip
    return work


def planned_shell_lines(output: str) -> list[tuple[str | None, str]]:
    """(log path, shell line) of each job of a dry run (`-n -p`) that runs a shell line."""
    lines = []
    for block in JOB_START.split(output)[1:]:
        block = block.split("\nJob stats:", 1)[0]
        shell = SHELL.search(block)
        if shell and shell[1].strip() != "None":
            log = LOG.search(block)
            lines.append((log[1] if log else None, shell[1].rstrip("\n")))
    return lines


def run_plan_with_recorder(work: Path, name: str) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    """Plan every film with its optional stages and run each planned shell line in bash."""
    for folder in ("in", "out", "work", "logs", "records"):
        shutil.rmtree(work / folder, ignore_errors=True)
        (work / folder).mkdir()
    shutil.copy(work.parent / "clip.mp4", work / "in" / f"{name}.mp4")
    # bytes, decoded without newline translation: a name may hold a carriage return
    plan = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", "-n", "-p", "all", "variants"],
        cwd=work, capture_output=True, timeout=600, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )  # fmt: skip
    plan.stdout, plan.stderr = plan.stdout.decode(), plan.stderr.decode()
    env = dict(os.environ, ARGV_RECORDS=str(work / "records"), SUBTITLES_WORKFLOW_PYTHON=str(work / "scripts" / "run-in-env"))
    for log, line in planned_shell_lines(plan.stdout + plan.stderr):
        if log:
            (work / log).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["bash", "-c", line], cwd=work, env=env, check=True, timeout=30)
    records = [json.loads(path.read_text()) for path in sorted((work / "records").iterdir())]
    return plan, records


HOSTILE_CHARACTERS = "$()`;|&<>'\"\\ \n\t*?[]{}!#~=%-.,:фü映画"
film_names = st.text(alphabet=st.sampled_from(HOSTILE_CHARACTERS) | st.characters(codec="utf-8"), min_size=1, max_size=24)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=film_names)
@example(name=f"c$(touch {SENTINEL})")
@example(name=f"`touch {SENTINEL}`")
@example(name=f"a; touch {SENTINEL}; b")
@example(name=f"it's \"quoted\" $(touch {SENTINEL})")
@example(name=f"two\nlines $(touch {SENTINEL})")
@example(name="-leading dash")
@example(name="Movie {Extended}")
@example(name="фильм ü – 映画")
@example(name="0\r")
def test_a_film_name_never_runs_anything(project, name):
    if "/" in name or "\0" in name or name.startswith(".") or not name.strip():
        return  # not a file name in in/ (or a hidden one, which in/ leaves out)
    plan, records = run_plan_with_recorder(project, name)
    output = plan.stdout + plan.stderr
    assert not [path for path in project.rglob(SENTINEL)], "a film name ran a command"
    assert "Traceback" not in output, output[-3000:]
    film = f"in/{name}.mp4"
    if f"error: {film}: not built: " in output:
        # refused in one line, and planned for nothing
        assert not any(film in argv for argv in records)
        return
    assert plan.returncode == 0, output[-3000:]
    # every stage command that names the film names it whole
    assert any(film in argv for argv in records), "no command got the film's path whole"
    stage_commands = [argv for argv in records if any(arg.endswith(".py") for arg in argv)]
    assert len(stage_commands) >= 10  # demux, shots, asr, translate, subtitles x5, mux, burn, report, compare
    for argv in stage_commands:
        named = [arg for arg in argv if name in arg]
        mangled = [arg for arg in argv if arg not in named and SENTINEL in arg]
        assert named or "build_env.py" in " ".join(argv) or "compare_variants.py" in " ".join(argv), argv
        assert mangled == [], argv
