"""rules/hooks.smk and the CLI hook beside it (rules/snakemake_cli_hook.py), and the job
lifetime hooks.smk sets up: only those two files use Snakemake's internals, under one version
check; Snakemake still has the internals hooks.smk uses (the CLI hook's: test_config_overrides.py);
and a stage (or the warm ASR worker) stops within seconds of losing its Snakemake."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import snakemake
from snakemake.parser import parse as compile_snakefile

from conftest import PROJECT, SCRIPTS, wait_until

VARIABLE = "SUBTITLES_SNAKEMAKE_PROCESS"  # named by rules/hooks.smk, read by scripts/subtitles_workflow/io.py
DEADLINE = 10  # seconds: "within a few seconds", with room for a busy machine


# ------------------------------------------------------------------ Snakemake's internals
HOOKS = PROJECT / "rules" / "hooks.smk"
CLI_HOOK = PROJECT / "rules" / "snakemake_cli_hook.py"
# The only files that may use Snakemake's internals, both under the CLI hook's version check.
INTERNALS_FILES = {"rules/hooks.smk", "rules/snakemake_cli_hook.py"}
# What Snakemake documents for workflow code: its version, and snakemake.utils (min_version,
# update_config, validate). Any other snakemake.* name (snakemake.cli, .workflow, .dag,
# .scheduling, ...) is an internal.
DOCUMENTED = {"snakemake.__version__", "snakemake.utils"}
# Not the workflow's: the logger plugin sends announce_films' record (called by rules/hooks.smk's
# onstart) through the logger Snakemake attaches every logger plugin's handler to, by its name.
PLUGIN_LOGGER = ("plugins/snakemake-logger-plugin-subtitles/src/snakemake_logger_plugin_subtitles/__init__.py", "snakemake.logging")
# Everything but the tests (which read the internals to check them): code, and the folders a
# module could hide in, the old home of the CLI hook (envs/) included.
CODE_FOLDERS = ("rules", "scripts", "envs", "plugins", "bench", "docs", "profiles", "config")


def test_hooks_are_tested_on_the_installed_snakemake():
    """One version check for both files that use Snakemake's internals: the CLI hook's
    TESTED_SNAKEMAKE and tested(), which rules/hooks.smk loads from it."""
    hook = load_cli_hook()
    assert hook.tested(snakemake.__version__), (
        f"Snakemake {snakemake.__version__}: check what rules/hooks.smk and rules/snakemake_cli_hook.py "
        f"use, then set TESTED_SNAKEMAKE in rules/snakemake_cli_hook.py (now {hook.TESTED_SNAKEMAKE})"
    )
    assert not hook.tested(f"{hook.TESTED_SNAKEMAKE}1.0") and not hook.tested("10.0.0")
    hooks = HOOKS.read_text()
    assert "SNAKEMAKE_INTERNALS_TESTED = CLI_HOOK.tested(snakemake_version)" in hooks
    assert not re.search(r"""TESTED_SNAKEMAKE\s*=\s*["']""", hooks), "hooks.smk keeps its own version"


def load_cli_hook() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("cli_hook_under_test", CLI_HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_snakemake_still_has_what_the_hooks_use(tmp_path):
    """Each internal rules/hooks.smk reads, read the same way by a one-rule workflow."""
    (tmp_path / "Snakefile").write_text(
        textwrap.dedent("""
        import sys
        from snakemake_interface_executor_plugins.settings import DeploymentMethod
        print("parse", workflow.is_main_process, workflow.output_settings.dryrun, file=sys.stderr)
        print("config", dict(workflow.config_settings.config), list(workflow.config_settings.configfiles), file=sys.stderr)
        print("conda", DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method, file=sys.stderr)

        rule a:
            output: "a.txt"
            shell: "touch {output}"

        rule b:
            output: "{name}.b"
            shell: "touch {output}"

        onstart:
            print("onstart", workflow.local_exec, type(workflow.scheduler.job_rate_limiter).__name__, file=sys.stderr)
            workflow.scheduler.job_rate_limiter = None
            plan = sorted((job.rule.name, job.wildcards_dict, workflow.dag.needrun(job), job.jobid) for job in workflow.dag.jobs)
            print("plan", plan, file=sys.stderr)
            print("targets", sorted(job.rule.name for job in workflow.dag.targetjobs), file=sys.stderr)
        """)
    )
    (tmp_path / "extra.yaml").write_text("b: 2\n")
    command = [sys.executable, "-m", "snakemake", "--cores", "1", "--max-jobs-per-timespan", "1/1h"]
    settings = ["--config", "flag=true", "--configfile", "extra.yaml"]
    dry = subprocess.run([*command, "-n", *settings], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0 and "parse True True" in dry.stderr, dry.stderr
    # what rules/hooks.smk's command_line_config(), config_files() and deploys_with_conda() read
    config_line = next(line for line in dry.stderr.splitlines() if line.startswith("config "))
    assert config_line.startswith("config {'flag': 'true'} [") and "extra.yaml" in config_line, config_line
    assert "conda False" in dry.stderr, dry.stderr
    conda = subprocess.run([*command, "-n", "--sdm", "conda"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "conda True" in conda.stderr, conda.stderr
    real = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert real.returncode == 0 and "parse True False" in real.stderr, real.stderr
    assert "onstart True JobRateLimiter" in real.stderr, real.stderr
    assert (tmp_path / "a.txt").exists()
    # what announce_films_built_before() reads: every job of the plan, the up-to-date ones
    # included, its wildcards, whether it runs, and its jobid (the one its log events carry)
    more = subprocess.run([*command, "a.txt", "x.b"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    plan = ast.literal_eval(next(line for line in more.stderr.splitlines() if line.startswith("plan "))[5:])
    jobid = int(re.search(r"^\s+jobid: (\d+)$", more.stderr, re.M)[1])  # the one job run: b's
    assert [job[:3] for job in plan] == [("a", {}, False), ("b", {"name": "x"}, True)], more.stderr
    assert plan[1][3] == jobid, more.stderr
    assert "targets ['a', 'b']" in more.stderr and "targets ['a']" in real.stderr, real.stderr


def test_only_rules_hooks_smk_reads_snakemake_s_internals():
    """Outside rules/hooks.smk the workflow uses only what Snakemake documents for Snakefiles:
    workflow.basedir (and the directives, config, checkpoints)."""
    files = [PROJECT / "Snakefile", *sorted((PROJECT / "rules").rglob("*.smk"))]
    used = {
        (path.relative_to(PROJECT).as_posix(), attribute)
        for path in files
        if path.name != "hooks.smk"
        for attribute in re.findall(r"(?<![/\w.])workflow\.(\w+)", path.read_text())
    }
    assert {attribute for _, attribute in used} <= {"basedir"}, sorted(used)


def test_only_the_two_hook_files_use_snakemake_s_modules_beyond_its_documented_api():
    """No file of the project outside rules/hooks.smk and rules/snakemake_cli_hook.py names a
    snakemake.* module Snakemake does not document for workflows (snakemake.cli, .workflow, ...),
    whether it imports it, reaches it as an attribute or names it in a string (as an import
    hook finds snakemake.cli); .smk files are read as the Python Snakemake makes of them."""
    used = {
        (str(path.relative_to(PROJECT)), name)
        for path in workflow_code()
        for name in snakemake_names(path)
        if not documented(name)
    }
    outside = {(path, name) for path, name in used if path not in INTERNALS_FILES} - {PLUGIN_LOGGER}
    assert not outside, sorted(outside)
    # the scan sees what the CLI hook uses (else the check above proves nothing)
    assert ("rules/snakemake_cli_hook.py", "snakemake.cli") in used, sorted(used)


def workflow_code() -> list[Path]:
    files = [PROJECT / "Snakefile"]
    for folder in CODE_FOLDERS:
        files += [path for path in sorted((PROJECT / folder).rglob("*")) if path.suffix in {".py", ".smk"} and "__pycache__" not in path.parts]
    return files


def documented(name: str) -> bool:
    return any(name == allowed or name.startswith(f"{allowed}.") for allowed in DOCUMENTED)


def snakemake_names(path: Path) -> set[str]:
    """The snakemake.<module> names (two components, `snakemake.cli`) a file uses."""
    tree = ast.parse(path.read_text() if path.suffix == ".py" else compiled_snakefile(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"snakemake(\.\w+)+", node.value):
            names.add(node.value)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "snakemake":
            names.add(f"snakemake.{node.attr}")
    return {".".join(name.split(".")[:2]) for name in names if name.split(".")[0] == "snakemake" and "." in name}


def compiled_snakefile(path: Path) -> str:
    """The Python Snakemake makes of a Snakefile (its parser only needs a workflow that can open it)."""
    source = types.SimpleNamespace(get_path_or_uri=lambda secret_free=False: str(path))
    workflow = types.SimpleNamespace(sourcecache=types.SimpleNamespace(open=lambda source: open(path)))
    code, _ = compile_snakefile(source, workflow, {})
    return code


# ------------------------------------------------------------------------- job lifetime
def identity(pid: int) -> str:
    """What rules/hooks.smk exports: host, pid and the start time from /proc/<pid>/stat."""
    start = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[22 - 3]
    return f"{socket.gethostname()} {pid} {start}"


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


STAGE = """
import subprocess
from subtitles_workflow.io import atomic_path, run_cli

def main(argv):
    child = subprocess.Popen(["sleep", "300"])  # as ffmpeg would be
    print(child.pid, flush=True)
    with atomic_path({output!r}) as tmp:
        tmp.write_text("half a transcript")
        child.wait()  # a blocking wait the watchdog has to break off

raise SystemExit(run_cli(main))
"""


def test_a_stage_stops_within_seconds_of_losing_its_snakemake(tmp_path):
    output = tmp_path / "out" / "film.json"
    script = tmp_path / "stage.py"
    script.write_text(STAGE.format(output=str(output)))
    fake_snakemake = subprocess.Popen(["sleep", "300"])  # stands in for Snakemake
    stage = subprocess.Popen([sys.executable, script], env={**os.environ, "PYTHONPATH": str(SCRIPTS), VARIABLE: identity(fake_snakemake.pid)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    child = int(stage.stdout.readline())
    try:
        assert wait_until(lambda: list(tmp_path.glob("out/*")), DEADLINE)  # the temp file is there
        fake_snakemake.kill()  # SIGKILL, and not reaped yet: a zombie is gone too
        assert wait_until(lambda: stage.poll() is not None, DEADLINE), "the stage outlived its Snakemake"
        errors = [line for line in stage.stderr.read().splitlines() if line.startswith("error: ")]
        assert stage.returncode == 1
        assert errors == [f"error: this job lost its Snakemake (pid {fake_snakemake.pid} ended) and stopped; the next run redoes it"]
        assert wait_until(lambda: gone(child), DEADLINE), "the stage's child outlived it"
        assert list(output.parent.iterdir()) == []  # no artifact, no temp file
    finally:
        for pid in (stage.pid, child, fake_snakemake.pid):
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
        stage.wait()
        fake_snakemake.wait()


FAILS_AS_ITS_SNAKEMAKE_DIES = """
import os, time
from pathlib import Path
from subtitles_workflow.io import StageError, run_cli

def main(argv):
    pid = os.environ["SUBTITLES_SNAKEMAKE_PROCESS"].split()[1]
    while Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.01)
    raise StageError("the ASR worker ended before serving")  # as a worker that lost the run too

raise SystemExit(run_cli(main))
"""


def test_a_stage_failing_because_its_snakemake_died_names_that_cause(tmp_path):
    # CI: the warm worker noticed first and the job said "the ASR worker ended before serving".
    script = tmp_path / "stage.py"
    script.write_text(FAILS_AS_ITS_SNAKEMAKE_DIES)
    fake_snakemake = subprocess.Popen(["sleep", "300"])
    stage = subprocess.Popen([sys.executable, script], env={**os.environ, "PYTHONPATH": str(SCRIPTS), VARIABLE: identity(fake_snakemake.pid)},
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        time.sleep(0.5)
        fake_snakemake.kill()  # not reaped: a zombie, as a killed Snakemake is to its parent
        assert wait_until(lambda: stage.poll() is not None, DEADLINE), "the stage outlived its Snakemake"
        errors = [line for line in stage.stderr.read().splitlines() if line.startswith("error: ")]
        assert stage.returncode == 1
        assert errors == [f"error: this job lost its Snakemake (pid {fake_snakemake.pid} ended) and stopped; the next run redoes it"]
    finally:
        for process in (stage, fake_snakemake):
            process.kill()
            process.wait()


def test_a_stage_run_by_hand_has_no_watchdog(tmp_path):
    script = tmp_path / "stage.py"
    script.write_text(
        "import threading\nfrom subtitles_workflow.io import run_cli\n"
        "raise SystemExit(run_cli(lambda argv: print([t.name for t in threading.enumerate()])))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != VARIABLE} | {"PYTHONPATH": str(SCRIPTS)}
    done = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "['MainThread']", done.stdout + done.stderr


def test_the_warm_asr_worker_stops_with_its_run(tmp_path):
    sock = tmp_path / "worker.sock"
    fake_snakemake = subprocess.Popen(["sleep", "300"])
    worker = subprocess.Popen([sys.executable, SCRIPTS / "asr_worker.py", sock], cwd=tmp_path,
                              env={**os.environ, VARIABLE: identity(fake_snakemake.pid)}, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert wait_until(sock.exists, 60), "the worker did not start serving"
        fake_snakemake.kill()
        assert wait_until(lambda: worker.poll() is not None, DEADLINE), "the worker outlived its run"
        assert f"the Snakemake run it served (pid {fake_snakemake.pid}) has ended: exiting" in worker.stderr.read()
        assert not sock.exists()
    finally:
        for process in (worker, fake_snakemake):
            process.kill()
            process.wait()
