"""What the benchmarks measure: the commit HEAD pointed at when the run began (or the working
tree), its config, and copies of it to run in, made by bench/project.py with the run's
`--set` overrides on top and checked before a run never to build envs or models.

Stdlib and PyYAML (the workflow env has both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import project  # copies of the workflow, shared with the tests (bench/project.py)
from machine import CORES, SNAKEMAKE, base_env
from project import PROJECT

_REVISION: dict[str, Any] = {}


def source_revision() -> dict[str, Any]:
    """What the benchmarks measure: the commit HEAD pointed at when this process first asked
    (default; pinned, so commits landing during a long run do not mix into it; BENCH_COMMIT
    picks another), or the working tree with BENCH_SOURCE=worktree."""
    if not _REVISION:
        wanted = os.environ.get("BENCH_COMMIT", "HEAD")
        full = subprocess.run(["git", "rev-parse", wanted], cwd=PROJECT, capture_output=True, text=True)
        if full.returncode and os.environ.get("BENCH_SOURCE") == "worktree":
            # a copy of the tree without its history (a GPU machine): BENCH_COMMIT names it
            _REVISION.update(source="worktree", commit=wanted[:7], commit_full=wanted, worktree_dirty=None)
            return _REVISION
        full.check_returncode()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT,
                               capture_output=True, text=True)  # fmt: skip
        _REVISION.update(
            source=os.environ.get("BENCH_SOURCE", "head"),
            commit=full.stdout.strip()[:7],
            commit_full=full.stdout.strip(),
            worktree_dirty=bool(dirty.stdout.strip()),
        )
    return _REVISION


# `--set key.path=value` overrides (typed YAML values) for every project copy's config.yaml:
# Snakemake's own --config reads nested values as strings (asr={worker: true} fails the
# schema), so typed nested settings go into the copy's config file instead.
SETS: dict[str, Any] = {}


def parse_sets(entries: list[str]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: --set wants key.path=value, got {entry!r}")
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    return out


def copy_project(target: Path, **config_overrides: Any) -> Path:
    """project.copy_project of what is measured (the pinned commit, unless BENCH_SOURCE=worktree),
    with the --set overrides on top."""
    revision = source_revision()
    project.copy_project(target, None if revision["source"] == "worktree" else revision["commit_full"], **config_overrides)
    project.update_config(target, SETS)
    return target


def preflight(tree: Path, *args: str) -> dict[str, int]:
    """Refuse to run a copy whose plan would build envs or models: those live in this
    checkout (venv_dir/model_dir are absolute), and a benchmark must never write there.
    Resets the copy's state afterwards so the measured run starts fresh."""
    jobs = project.planned_jobs(tree, *args, env=base_env())
    shared = sorted(set(jobs) & {"env_build", "model_assemble"})
    if shared:
        raise SystemExit(
            f"error: the workflow would run {', '.join(shared)} (envs or models in {PROJECT} missing or out of "
            f"date); build them first: cd {PROJECT} && {SNAKEMAKE} --cores {CORES} envs"
        )
    for state in (".snakemake", "work"):
        shutil.rmtree(tree / state, ignore_errors=True)
    return jobs


def project_config() -> dict[str, Any]:
    """config/config.yaml of what is measured (HEAD, or the working tree)."""
    import yaml

    if source_revision()["source"] == "worktree":
        return yaml.safe_load((PROJECT / "config" / "config.yaml").read_text())
    commit = source_revision()["commit_full"]
    shown = subprocess.run(["git", "show", f"{commit}:config/config.yaml"], cwd=PROJECT, capture_output=True,
                           text=True, check=True)  # fmt: skip
    return yaml.safe_load(shown.stdout)
