"""The workflow on a private copy of the project, one way for the tests and the benchmarks:
copy it, change its config, run Snakemake in it, and read what a dry run would do. A copy
shares this checkout's built envs and assembled models (absolute venv_dir and model_dir), so
it never builds them again, and a run in it never touches this checkout's in/, out/ or work/.

Stdlib and PyYAML only (the workflow env has both).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
VENVS = PROJECT / ".venvs"
MODELS = PROJECT / "resources" / "models"
# The shared test media (a clone of ../shared beside the project), or wherever
# BENCH_FIXTURES points: a worktree elsewhere has no ../shared beside it.
FIXTURES = Path(os.environ.get("BENCH_FIXTURES") or PROJECT.parent / "shared" / "fixtures")
# The workflow, as Snakemake's layout has it: what a run reads (the Snakefile, its rules, envs,
# stage scripts, config and profiles, and the report's captions). Named, not "all but": docs,
# tests, benchmarks and build state are the project's, never the workflow's.
WORKFLOW = ("Snakefile", "config", "envs", "profiles", "report", "rules", "scripts")


def copy_workflow(target: Path, commit: str | None = None) -> None:
    """The workflow's files into `target`: as they are in this checkout, or as `commit` has them
    (dated like this checkout's files, as a copy would be, so code is not newer than the
    checkout's models and stamps)."""
    target.mkdir(parents=True, exist_ok=True)
    if commit is None:
        for name in WORKFLOW:
            source = PROJECT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, target / name)
        return
    listed = subprocess.run(["git", "ls-tree", "--name-only", commit], cwd=PROJECT, capture_output=True, text=True,
                            check=True).stdout.split()  # fmt: skip
    archive = subprocess.run(["git", "archive", "--format=tar", commit, *[n for n in WORKFLOW if n in listed]],
                             cwd=PROJECT, capture_output=True, check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    for path in target.rglob("*"):
        twin = PROJECT / path.relative_to(target)
        if path.is_file() and twin.exists():
            stat = twin.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def merge_config(into: dict[str, Any], changes: dict[str, Any]) -> None:
    """`changes` into `into`, nested dicts key by key (a value that is not a dict replaces)."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge_config(into[key], value)
        else:
            into[key] = value


def update_config(workdir: Path, changes: dict[str, Any]) -> None:
    """Merge `changes` into workdir/config/config.yaml."""
    import yaml

    path = workdir / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())
    merge_config(config, changes)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def copy_project(target: Path, commit: str | None = None, **config_overrides: Any) -> Path:
    """A fresh copy of the workflow in `target` (of `commit`, else of this checkout), with an
    empty in/, sharing this checkout's envs and models unless the overrides say otherwise."""
    copy_workflow(target, commit)
    update_config(target, {"venv_dir": str(VENVS), "model_dir": str(MODELS), **config_overrides})
    (target / "in").mkdir(exist_ok=True)
    return target


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: float = 1800, cores: int = 2,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess:  # fmt: skip
    """Snakemake in `workdir` on this interpreter (the workflow env's), without bytecode files, in
    `env` (default: this process's environment)."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), *args]
    env = dict(os.environ if env is None else env, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env)
    if check and done.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}")
    return done


def job_counts(output: str) -> dict[str, int]:
    """Rule -> job count from the "Job stats:" table of Snakemake's output (empty when there is
    none: nothing to be done)."""
    jobs: dict[str, int] = {}
    if "Job stats:" not in output:
        return jobs
    for line in output.split("Job stats:", 1)[1].splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match:
            break
        if match[1] != "total":
            jobs[match[1]] = int(match[2])
    return jobs


def planned_jobs(workdir: Path, *targets: str, env: dict[str, str] | None = None) -> dict[str, int]:
    """Rule -> job count that a dry run would execute (empty when nothing is to be done)."""
    done = snakemake(workdir, "-n", *targets, env=env)
    return job_counts(done.stdout + done.stderr)


def private_envs(root: Path) -> dict[str, str]:
    """venv_dir / model_dir (copy_project overrides) for a copy whose jobs never really run:
    this checkout's env folders linked, their stamps copied (mtime kept), an empty folder and
    manifest per model. `--touch` then touches only files under `root`, never this checkout's
    envs or models."""
    venvs, models = root / "venvs", root / "models"
    venvs.mkdir()
    for entry in sorted(VENVS.iterdir()):
        if entry.name.endswith(".env.json"):
            shutil.copy2(entry, venvs / entry.name)
        elif entry.is_dir():
            (venvs / entry.name).symlink_to(entry)
    for model in ("base", "tiny.en"):
        (models / f"faster-whisper-{model}").mkdir(parents=True)
        (models / f"faster-whisper-{model}.json").write_text("{}\n")  # the manifest stages track
    return {"venv_dir": str(venvs), "model_dir": str(models)}


def make_outputs(tree: Path, plan: str) -> int:
    """Create (empty) every output a dry run's text `plan` lists that is missing, inside `tree`
    only. Returns how many were created."""
    made = 0
    for line in plan.splitlines():
        match = re.match(r"^\s+output: (.*)$", line)
        if not match:
            continue
        for name in match[1].split(", "):
            path = (tree / name).resolve()
            if tree.resolve() not in path.parents:
                raise SystemExit(f"error: {tree} would need {name}, outside the copy; refusing")
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
                made += 1
    return made


def touch_build(workdir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 1800) -> None:
    """What a full build leaves, without running a stage (a copy made with private_envs): every
    planned output created empty, then `snakemake --touch --forceall` dates them in DAG order
    and Snakemake records their metadata (params, code, input checksums) as after real jobs.
    `args` go to both Snakemake calls (e.g. --config)."""
    plan = snakemake(workdir, "-n", *args, env=env, timeout=timeout)
    if not make_outputs(workdir, plan.stdout + plan.stderr):
        raise AssertionError(f"{workdir}: the dry run planned no outputs:\n{(plan.stdout + plan.stderr)[-3000:]}")
    snakemake(workdir, "--touch", "--forceall", *args, env=env, timeout=timeout)


def schema_defaults(section: str) -> dict[str, Any]:
    """The defaults config/schemas/config.schema.yaml gives one config section's keys: what
    Snakemake's validate fills in, for tests and benchmarks that call stage code directly
    (the stage code itself declares none)."""
    import yaml

    schema = yaml.safe_load((PROJECT / "config" / "schemas" / "config.schema.yaml").read_text())
    keys = schema["properties"][section]["properties"]
    return {key: spec["default"] for key, spec in keys.items() if "default" in spec}


# Keys of the asr block that are no decoding option: the model is its own argument, the worker
# a resource, the language policy a param of `auto` films only (rules/asr.smk,
# ASR_DECODING_KEYS; rules/common/languages.smk, get_language_policy).
NOT_ASR_OPTIONS = ("model", "worker", "language_threshold", "language_fallback")


def asr_options(config: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """Every asr option scripts/asr.py takes (AsrOptions, scripts/subtitles_workflow/asr_options.py): the
    schema's defaults under `config` (an asr block), on faster-whisper, plus `overrides`. An
    `auto` is left for the stage to resolve, as it resolves the rule's."""
    options = {**schema_defaults("asr"), **(config or {}), "backend": "faster-whisper", **overrides}
    return {key: value for key, value in options.items() if key not in NOT_ASR_OPTIONS}


def subtitle_style(language: str = "en", **overrides: Any) -> dict[str, Any]:
    """The subtitles stage's Style fields as the rule passes them for a film without video (the
    schema's defaults, max_cps for `language`), with `overrides`."""
    style = schema_defaults("subtitles")
    cps = style.pop("max_cps")
    return {**style, "max_cps": cps.get(language, cps["default"]), **overrides}
