"""Settings on the command line: every snakemake command in README.md and docs/ runs, --config takes
dotted keys with values typed through the schema, and a bad value fails with one line naming
the key and the command line. All dry runs on a copy of the project with one short film."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT, copy_project, fixture, one_error_line, planned_jobs, requires_fixtures, snakemake, update_config

pytestmark = requires_fixtures

# The cluster orchestrator env (`make slurm-env`): this Snakemake plus the SLURM executor.
SLURM_PYTHON = PROJECT / ".venvs" / "workflow-slurm" / "bin" / "python"
# Commands that run no jobs, so they need no -n.
NO_JOBS = ("--unlock", "--report")


def why_not_run_here(command: str) -> str | None:
    if "--executor kubernetes" in command:
        return "needs a Kubernetes cluster and its plugins (docs/running.md: on paper only)"
    if "--profile profiles/slurm" in command and not SLURM_PYTHON.exists():
        return "needs the SLURM executor in .venvs/workflow-slurm (make slurm-env)"
    if "--sdm conda" in command and not shutil.which("conda"):
        return "conda is not installed here"
    if "--lint" in command:
        return "tests/test_lint.py lints the project itself (a test copy's absolute venv_dir trips the linter)"
    return None


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    workdir = copy_project(tmp_path_factory.mktemp("cli-config"))
    shutil.copy(fixture("en/jfk.flac"), workdir / "in" / "movie.flac")  # README's out/movie.en.srt
    # docs/variants.md's variants (Trying a new model or library version safely); they leave the default
    # build's plan as it is (tests/integration/test_variants.py)
    update_config(workdir, {"variants": {"tiny": {"asr": {"model": "tiny.en"}}, "narrow": {"subtitles": {"max_line_chars": 32}}}})
    return workdir


def readme_snakemake_commands() -> list[str]:
    """Every snakemake command line in README.md and docs/*.md: code block lines and inline code."""
    pages = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
    text = "\n".join(page.read_text() for page in pages).replace("\\\n", " ")
    blocks = re.findall(r"^```sh\n(.*?)^```", text, flags=re.M | re.S)
    candidates = [line.split(" #")[0] for block in blocks for line in block.splitlines()]
    candidates += re.findall(r"`([^`\n]+)`", text)
    commands = []
    for line in candidates:
        if line.split() and Path(line.split()[0]).name == "snakemake" and "..." not in line:
            command = " ".join(shlex.split(line))
            if command not in commands:
                commands.append(command)
    return commands


def shell_commands(done: subprocess.CompletedProcess) -> dict[str, list[str]]:
    """Script name (asr.py, subtitles.py, ...) -> arguments, from a dry run with -p."""
    commands = {}
    for line in (done.stdout + done.stderr).splitlines():
        if line.startswith("Shell command: "):
            words = shlex.split(line.removeprefix("Shell command: "))
            script = next(Path(word).name for word in words if word.endswith(".py"))
            commands[script] = words
    return commands


def argument(words: list[str], flag: str) -> str:
    return words[words.index(flag) + 1]


def test_every_snakemake_command_in_the_readme_runs(project):
    commands = [command for command in readme_snakemake_commands() if not why_not_run_here(command)]
    assert "snakemake --cores all --config debug=true" in commands, commands
    failed = []
    for command in commands:
        program, *args = shlex.split(command)
        # .venvs/workflow-slurm/bin/snakemake where it is built; elsewhere the same Snakemake here.
        slurm = program.startswith(".venvs/workflow-slurm/") and SLURM_PYTHON.exists()
        python = SLURM_PYTHON if slurm else sys.executable
        if "--report" in args:
            (project / "out").mkdir(exist_ok=True)  # "after a run"
        if not any(flag in args for flag in NO_JOBS):
            args.append("-n")
        done = subprocess.run(
            [str(python), "-m", "snakemake", *args], cwd=project, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            failed.append(f"{command}: {(done.stdout + done.stderr)[-1500:]}")
    assert not failed, "\n\n".join(failed)


@pytest.mark.parametrize("command", [command for command in readme_snakemake_commands() if why_not_run_here(command)])
def test_readme_commands_not_run_here(command):
    pytest.skip(why_not_run_here(command))


def test_dotted_keys_and_typed_values_reach_the_rules(project):
    defaults = shell_commands(snakemake(project, "-n", "-p", "out/movie.en.srt"))
    assert json.loads(argument(defaults["asr.py"], "--options"))["beam_size"] == 5
    assert json.loads(argument(defaults["subtitles.py"], "--style"))["max_line_chars"] == 42
    assert "--debug" not in defaults["asr.py"]

    overrides = ["debug=true", "asr.beam_size=3", "subtitles.max_line_chars=30", "asr.model=tiny.en"]
    done = snakemake(project, "-n", "-p", "out/movie.en.srt", "--config", *overrides)
    commands = shell_commands(done)
    asr, subtitles = commands["asr.py"], commands["subtitles.py"]
    assert json.loads(argument(asr, "--options"))["beam_size"] == 3
    assert argument(asr, "--model") == "tiny.en"
    style = json.loads(argument(subtitles, "--style"))
    assert style["max_line_chars"] == 30 and style["max_lines"] == 2
    # debug reaches the jobs through the environment, never their command line: a change to a
    # command line (a param) would re-run them (tests/integration/test_debug_logs.py)
    assert "--debug" not in asr and "--debug" not in subtitles


def test_the_snakemake_script_takes_dotted_keys_too(project):
    script = Path(sys.executable).parent / "snakemake"
    command = [str(script), "-n", "-p", "out/movie.en.srt", "--config", "subtitles.max_line_chars=30"]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(argument(shell_commands(done)["subtitles.py"], "--style"))["max_line_chars"] == 30


def test_a_nested_value_is_typed_and_merged(project):
    done = snakemake(project, "-n", "-p", "out/movie.en.srt", "--config", 'subtitles={"max_line_chars": 30}')
    style = json.loads(argument(shell_commands(done)["subtitles.py"], "--style"))
    assert style["max_line_chars"] == 30 and style["max_lines"] == 2


def test_qc_report_true_plans_the_report_jobs(project):
    assert "report_film" not in planned_jobs(project)
    assert planned_jobs(project, "--config", "qc_report=true")["report_film"] == 1


@pytest.mark.parametrize(
    "entry, key",
    [
        ("asr.beam_size=abc", "asr.beam_size"),
        ("asr.beam_size=0", "asr.beam_size"),
        ("debug=maybe", "debug"),
        ("asr.beem_size=3", "asr.beem_size"),
        ("asr.device=gpu", "asr.device"),
        ('subtitles={"max_line_chars": "x"}', "subtitles.max_line_chars"),
    ],
)
def test_a_bad_value_names_the_key_and_the_command_line(project, entry, key):
    line = one_error_line(snakemake(project, "-n", "--config", entry, check=False))
    assert line.startswith(f"error: config key {key}, set on the command line (--config {key}="), line
    assert "allowed" in line, line


def test_a_bad_value_in_the_config_file_names_the_file(tmp_path):
    workdir = copy_project(tmp_path, asr={"beam_size": "abc"})
    line = one_error_line(snakemake(workdir, "-n", "--config", "debug=true", check=False))
    assert line.startswith("error: config key asr.beam_size, set in config/config.yaml"), line
    update_config(workdir, {"asr": {"beam_size": 5}})
    snakemake(workdir, "-n", "--config", "debug=true")


def rendered_style(output: str) -> dict:
    [command] = [line for line in output.splitlines() if line.startswith("Shell command:") and "scripts/subtitles.py" in line]
    return json.loads(argument(shlex.split(command.split(":", 1)[1].split(">", 1)[0]), "--style"))


def test_a_mapping_given_in_part_keeps_the_defaults_other_keys(project):
    """config/config.yaml leaves max_cps to the schema: `max_cps.hi=20` must not make it a
    mapping without its `default` (English stays at 17), and `default=15` leaves hi alone."""
    target = "out/movie.en.srt"
    hindi_only = snakemake(project, "-n", "-p", "--forcerun", "subtitles_render", target, "--config", "subtitles.max_cps.hi=20")
    assert rendered_style(hindi_only.stdout)["max_cps"] == 17
    default = snakemake(project, "-n", "-p", "--forcerun", "subtitles_render", target, "--config", "subtitles.max_cps.default=15")
    assert rendered_style(default.stdout)["max_cps"] == 15
