# How a run hooks into Snakemake's own process: its jobs stop when it dies, a second run
# beside a live one is told so, and the workflow learns how Snakemake was called (--config,
# --configfile, --sdm conda). Every use of Snakemake's internals is in this file or in the CLI
# hook beside it (rules/snakemake_cli_hook.py, which patches Snakemake's command line before any
# workflow code runs), behind one version check, SNAKEMAKE_INTERNALS_TESTED:
# tests/unit/test_hooks.py fails when Snakemake no longer has them, or when another file uses
# them. On an untested version the optional ones are left out and Snakemake's own
# behaviour applies (its lock message, its job rate limit); the settings the workflow cannot
# do without are still read, and a missing one stops the run with one line.

import importlib.util
import json
import os
import shlex
import sys
import time
from pathlib import Path

from snakemake import __version__ as snakemake_version
from snakemake_logger_plugin_subtitles import announce_films

from subtitles_workflow.io import (  # scripts/ is on sys.path (rules/common/base.smk)
    SNAKEMAKE_PROCESS_VARIABLE,
    process_alive,
    process_identity,
    write_json_atomic,
)


def load_cli_hook():
    """rules/snakemake_cli_hook.py, loaded from its file: its TESTED_SNAKEMAKE and tested() are
    this file's version check too, one policy for both. (The copy make installs into the
    orchestrator envs runs before any workflow is read, so the constant lives there.)"""
    path = PROJECT / "rules" / "snakemake_cli_hook.py"
    spec = importlib.util.spec_from_file_location("snakemake_cli_hook_source", path)
    hook = importlib.util.module_from_spec(spec)  # not `module`: a Snakemake keyword
    spec.loader.exec_module(hook)
    return hook


CLI_HOOK = load_cli_hook()
TESTED_SNAKEMAKE = CLI_HOOK.TESTED_SNAKEMAKE
SNAKEMAKE_INTERNALS_TESTED = CLI_HOOK.tested(snakemake_version)
if not SNAKEMAKE_INTERNALS_TESTED:
    print(
        f"note: rules/hooks.smk and rules/snakemake_cli_hook.py are tested with Snakemake "
        f"{TESTED_SNAKEMAKE} only; on {snakemake_version} they skip the active-run check, keep "
        "the job rate limit, leave the up-to-date films out of the summary and let Snakemake "
        "refuse dotted --config keys",
        file=sys.stderr,
    )

# The run this folder's Snakemake lock belongs to, while it runs (onstart to onsuccess/onerror).
ACTIVE_RUN_RECORD = Path(".snakemake") / "subtitles-active-run.json"
# '<host> <pid> <start time>'; None without /proc (not Linux): no watchdog, no record.
THIS_PROCESS = process_identity()

# Stage jobs watch the Snakemake process that starts them (run_cli in scripts/subtitles_workflow/io.py) and
# stop within seconds of its end: they are its grandchildren (bash -c), so a kill -9 of
# Snakemake would leave them running beside the next run's. Every Snakemake that parses this
# file names itself: the main one, and the one running each job on a cluster node.
if THIS_PROCESS:
    os.environ[SNAKEMAKE_PROCESS_VARIABLE] = THIS_PROCESS

# Jobs that call back into the workflow's own tools (build_env.py, on Snakemake's interpreter)
# find it in this variable, not in a param: which orchestrator env runs a build (workflow or
# workflow-slurm) changes no artifact.
WORKFLOW_PYTHON_VARIABLE = "SUBTITLES_WORKFLOW_PYTHON"
os.environ[WORKFLOW_PYTHON_VARIABLE] = sys.executable


def snakemake_setting(what, read):
    """A setting of this Snakemake run the workflow cannot do without, read from its internals;
    one line when this Snakemake no longer has it."""
    try:
        return read()
    except AttributeError:
        fail(
            f"Snakemake {snakemake_version} no longer tells the workflow {what} the way "
            f"{TESTED_SNAKEMAKE} did; use Snakemake {TESTED_SNAKEMAKE}, or update rules/hooks.smk"
        )


def command_line_config():
    """The --config values as Snakemake parsed them, before they were merged into config."""
    return dict(
        snakemake_setting(
            "its --config values", lambda: workflow.config_settings.config
        )
    )


def config_files():
    """The config files Snakemake read (configfile: and --configfile), for error messages."""
    return snakemake_setting(
        "its config files", lambda: list(workflow.config_settings.configfiles)
    )


def deploys_with_conda():
    """Whether Snakemake manages the envs itself (--sdm conda) instead of .venvs/."""
    from snakemake_interface_executor_plugins.settings import DeploymentMethod

    return DeploymentMethod.CONDA in snakemake_setting(
        "its deployment method", lambda: workflow.deployment_settings.deployment_method
    )


def snakemake_invocation():
    """'main' (the Snakemake a user started), 'dry-run' (the same with -n) or 'job' (one
    running a job of a cluster or subprocess); None on an untested Snakemake."""
    if not SNAKEMAKE_INTERNALS_TESTED:
        return None
    if not workflow.is_main_process:
        return "job"
    return "dry-run" if workflow.output_settings.dryrun else "main"


def refuse_beside_an_active_run():
    """Snakemake's own message for a locked folder suggests --unlock, which beside a live run
    starts its jobs a second time. So when the recorded run still runs, say that instead. A
    record of a dead run says nothing: Snakemake's lock message and --unlock are right then.
    """
    if snakemake_invocation() != "main":
        return
    try:
        active = json.loads(ACTIVE_RUN_RECORD.read_text())
    except (OSError, ValueError):
        return
    if active["process"] == THIS_PROCESS or not process_alive(active["process"]):
        return
    fail(
        f"this folder cannot be locked: another run is active in it (pid {active['pid']}, "
        f"since {active['started']}: {active['command']}); wait for it to finish, or stop it "
        f"with: kill {active['pid']}"
    )


# Before Snakemake takes its lock (its message would suggest --unlock beside a live run).
refuse_beside_an_active_run()


def record_active_run():
    """onstart: a real run has taken the lock and starts its jobs."""
    if THIS_PROCESS:
        run = {
            "process": THIS_PROCESS,
            "pid": os.getpid(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "command": shlex.join(["snakemake", *sys.argv[1:]]),
        }
        write_json_atomic(run, ACTIVE_RUN_RECORD)


def forget_active_run():
    """onsuccess/onerror: the run ends (a killed run leaves a record of a dead process)."""
    try:
        if json.loads(ACTIVE_RUN_RECORD.read_text())["process"] == THIS_PROCESS:
            ACTIVE_RUN_RECORD.unlink()
    except (OSError, ValueError):
        pass


def drop_local_job_rate_limit():
    """Local runs only: no job rate limit. Snakemake's limiter (--max-jobs-per-timespan, there
    to spare cluster schedulers) re-wakes its scheduler on a 1 s timer from every scheduling
    pass, so the timers pile up, one chain per job event: 600 short jobs cost twice the CPU,
    and every run waits up to 1 s at exit for the last timer. Cluster runs keep it."""
    if SNAKEMAKE_INTERNALS_TESTED and workflow.local_exec:
        workflow.scheduler.job_rate_limiter = None


def jobs_to_run(rule_name):
    """onstart: the wildcards of each job of `rule_name` that this run executes (as
    announce_films_built_before reads the plan); [] on an untested Snakemake."""
    if not SNAKEMAKE_INTERNALS_TESTED:
        return []
    dag = workflow.dag
    return [
        job.wildcards_dict
        for job in dag.jobs
        if job.rule.name == rule_name and dag.needrun(job)
    ]


def announce_films_built_before():
    """onstart: tell the logger plugin (plugins/snakemake-logger-plugin-subtitles) which films
    this run asks for and has no job for (the summary's up-to-date ones), and which jobs it
    plans for the others (a film is built when all are done). A film is asked for when the
    run's target is the default one, `all` (a plain `snakemake`: every film), or when a job of
    Snakemake's plan names it (its `name` wildcard), the plan's up-to-date jobs included: film
    a alone for `snakemake out/a.en.srt`. On an untested Snakemake nothing is announced (the
    summary leaves the count out)."""
    if not SNAKEMAKE_INTERNALS_TESTED:
        return
    dag = workflow.dag
    asked, plan = set(), {}
    # The default target asks for every film, whether the plan holds its jobs yet or not (while
    # a film's language is being detected, the plan holds no job of the films up to date).
    if any(job.rule.name == "all" for job in dag.targetjobs):
        asked |= set(MEDIA)
    for job in dag.jobs:  # every job of the plan; needrun: the ones this run executes
        name = job.wildcards_dict.get("name")
        if name is not None:
            asked.add(name)
            if dag.needrun(job):
                plan.setdefault(name, []).append(job.jobid)
    announce_films([name for name in MEDIA if name in asked and name not in plan], plan)
