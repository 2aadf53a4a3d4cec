"""Shared test helpers: where the project and the shared fixtures are, and how to run the
workflow on a private copy of the project (so tests never touch the developer's out/)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT.parent / "shared" / "fixtures"
SCRIPTS = PROJECT / "scripts"
sys.path.insert(0, str(SCRIPTS))

requires_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"shared test media not found at {FIXTURES} (clone ../shared beside the project)"
)
PROJECT_PARTS = ("Snakefile", "rules", "scripts", "envs", "config", "profiles", "report")


def fixture(relative: str) -> Path:
    path = FIXTURES / relative
    if not path.exists():
        pytest.skip(f"fixture {path} not found")
    return path


def copy_project(target: Path, **config_overrides) -> Path:
    """A fresh copy of the workflow in `target`, sharing the project's built envs and models
    unless the overrides say otherwise."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = PROJECT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / part)
    config = {"venv_dir": str(PROJECT / ".venvs"), "model_dir": str(PROJECT / "resources" / "models")}
    config.update(config_overrides)
    update_config(target, config)
    (target / "in").mkdir(exist_ok=True)
    return target


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR, bytes 16-24)."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def update_config(workdir: Path, changes: dict) -> None:
    """Merge `changes` (nested dicts merge key by key) into workdir/config/config.yaml."""
    path = workdir / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())

    def merge(into: dict, new: dict) -> None:
        for key, value in new.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    merge(config, changes)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env)
    if check and done.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}")
    return done


def planned_jobs(workdir: Path, *targets: str) -> dict[str, int]:
    """Rule -> job count that a dry run would execute (empty when nothing is to be done)."""
    done = snakemake(workdir, "-n", *targets)
    output = done.stdout + done.stderr
    if "Nothing to be done" in output:
        return {}
    table = output.split("Job stats:", 1)[1]
    jobs = {}
    for line in table.splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match:
            break
        if match[1] != "total":
            jobs[match[1]] = int(match[2])
    return jobs


def pytest_collection_modifyitems(config, items):
    """Slow and cluster tests run only when asked for (RUN_SLOW=1, RUN_SLURM=1)."""
    for marker, variable in (("slow", "RUN_SLOW"), ("slurm", "RUN_SLURM")):
        if os.environ.get(variable) == "1":
            continue
        skip = pytest.mark.skip(reason=f"marked {marker}: set {variable}=1 to run")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)
