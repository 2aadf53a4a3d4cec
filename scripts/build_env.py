"""Build a stage's virtualenv from its conda-style spec (envs/<env>.yaml) and stamp its identity.

The spec's `python =X.Y` and `pip:` list are the single source of truth: conda users get the same
packages through `conda:`; here the venv is built with uv (pip as fallback). Conda-only
dependencies (e.g. ffmpeg) are system tools and are installed by scripts/install-system-deps.sh.

The stamp (the Snakemake target) holds only what defines the env: Python version + `pip freeze`.
A rebuild with identical contents writes an identical stamp, so nothing downstream goes stale.

Runs on Snakemake's own interpreter (it needs PyYAML, which Snakemake depends on).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from check_env import write_manifest
from subtitles_workflow.io import write_json_atomic


@dataclass(frozen=True)
class EnvSpec:
    name: str
    python: str | None
    pip: list[str] = field(default_factory=list)


def read_spec(path: Path) -> EnvSpec:
    """Parse the venv-relevant parts of a conda environment file."""
    data = yaml.safe_load(path.read_text()) or {}
    python: str | None = None
    pip: list[str] = []
    for dep in data.get("dependencies") or []:
        if isinstance(dep, dict):
            pip.extend(str(p) for p in dep.get("pip") or [])
            continue
        match = re.fullmatch(r"python\s*=*\s*([0-9.]+)\*?", str(dep).strip())
        if match:
            python = match.group(1)
    return EnvSpec(name=data.get("name") or path.stem, python=python, pip=pip)


def find_uv() -> list[str] | None:
    """uv as a command prefix: the orchestrator env's uv module, else one on PATH."""
    try:
        import uv  # noqa: F401

        return [sys.executable, "-m", "uv"]
    except ImportError:
        found = shutil.which("uv")
        return [found] if found else None


def run(cmd: list[str]) -> str:
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    done = subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE)
    return done.stdout


def find_links() -> list[str]:
    """pip's PIP_FIND_LINKS for uv too: local wheel folders (e.g. a CPU-only torch) then win
    over the registry's multi-GB CUDA builds, as they do for pip."""
    return [arg for folder in os.environ.get("PIP_FIND_LINKS", "").split() for arg in ("--find-links", folder)]


def create_venv(spec: EnvSpec, target: Path, uv: list[str] | None) -> None:
    """Create `target` and install the spec's pip packages into it."""
    python = target / "bin" / "python"
    if uv:
        cmd = uv + ["venv", "--quiet", "--relocatable", str(target)]
        if spec.python:
            cmd += ["--python", spec.python]
        run(cmd)
        if spec.pip:
            # Bytecode is compiled at install time: a stage's start-up then never pays for it,
            # even where PYTHONDONTWRITEBYTECODE forbids caching it (about 1.5 s per Snakemake
            # start, measured in bench/b4_orchestration.py).
            run(uv + ["pip", "install", "--quiet", "--compile-bytecode", "--python", str(python), *find_links(), *spec.pip])
        return
    base = shutil.which(f"python{spec.python}") if spec.python else None
    run([base or sys.executable, "-m", "venv", str(target)])
    if spec.pip:
        run([str(python), "-m", "pip", "install", "--quiet", "--compile", *spec.pip])


def identity(name: str, python: Path, uv: list[str] | None) -> dict:
    """What makes an env what it is: Python version + installed distributions."""
    version = run([str(python), "-c", "import platform; print(platform.python_version())"])
    if uv:
        frozen = run(uv + ["pip", "freeze", "--python", str(python)])
    else:
        frozen = run([str(python), "-m", "pip", "freeze", "--all"])
    packages = sorted(line for line in frozen.splitlines() if line and not line.startswith("#"))
    # pip/setuptools/wheel are build tooling, present or not depending on the installer.
    packages = [p for p in packages if not re.match(r"(pip|setuptools|wheel)==", p)]
    return {"env": name, "python": version.strip(), "packages": packages}


def read_lock(lock: Path | None, spec: EnvSpec) -> list[str] | None:
    """The exact packages the last build of this same spec installed, if it left a lock."""
    if lock is None or not lock.exists():
        return None
    try:
        data = json.loads(lock.read_text())
    except ValueError:
        return None
    if data.get("spec") != {"python": spec.python, "pip": spec.pip}:
        return None
    return data.get("packages") or None


@contextlib.contextmanager
def build_lock(venv: Path):
    """One build of an env at a time: rule env_build and a job repairing its env (run-in-env)
    may both reach for it."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.with_name(venv.name + ".build-lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


CHECK_ENV = Path(__file__).with_name("check_env.py")


def env_whole(venv: Path, stamp: Path) -> bool:
    """Whether the env's Python starts and holds every package of its stamp, each one's
    top-level modules included (scripts/check_env.py, run on the env's interpreter)."""
    try:
        command = [str(venv / "bin" / "python"), "-I", str(CHECK_ENV), str(venv), str(stamp)]
        return subprocess.run(command, capture_output=True).returncode == 0
    except OSError:  # no interpreter at all
        return False


def build(spec_path: Path, venv: Path, stamp: Path, lock: Path | None = None, repair: bool = False) -> dict | None:
    """Build the env, one build at a time; with `repair`, only if it is missing or broken
    (another job may just have rebuilt it). Returns its identity, None when left as it was."""
    with build_lock(venv):
        if repair and env_whole(venv, stamp):
            return None
        return build_unlocked(spec_path, venv, stamp, lock)


def build_unlocked(spec_path: Path, venv: Path, stamp: Path, lock: Path | None) -> dict:
    """Build the venv next to its final place, then swap it in, so a failed build never
    leaves a half-installed env behind a valid-looking path. When the lock holds what an
    earlier build of the same spec resolved, install exactly that: a deleted or broken env
    comes back as the same env (same stamp), so nothing built on it goes stale."""
    spec = read_spec(spec_path)
    uv = find_uv()
    locked = read_lock(lock, spec)
    if locked:
        print(f"installing the lock {lock} ({len(locked)} packages)", file=sys.stderr)
        spec = EnvSpec(name=spec.name, python=spec.python, pip=locked)
    staging = venv.with_name(venv.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    create_venv(spec, staging, uv)
    shutil.rmtree(venv, ignore_errors=True)
    staging.rename(venv)
    ident = identity(spec.name, venv / "bin" / "python", uv)
    write_manifest(str(venv), ident["packages"])  # what run-in-env checks before each job
    write_json_atomic(ident, stamp)
    if lock is not None and not locked:
        original = read_spec(spec_path)
        write_json_atomic({**ident, "spec": {"python": original.python, "pip": original.pip}}, lock)
    return ident


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, required=True, help="envs/<env>.yaml")
    parser.add_argument("--venv", type=Path, required=True, help="venv directory to (re)create")
    parser.add_argument("--stamp", type=Path, required=True, help="identity stamp (JSON) to write")
    parser.add_argument("--lock", type=Path, help="what the build resolved, reinstalled exactly while the spec is unchanged")
    parser.add_argument("--repair", action="store_true", help="build only if the env is missing or broken (scripts/check_env.py)")
    args = parser.parse_args(argv)
    try:
        ident = build(args.spec, args.venv, args.stamp, args.lock, repair=args.repair)
    except subprocess.CalledProcessError as err:
        print(f"error: building env from {args.spec} failed ({err}); see the output above", file=sys.stderr)
        return 1
    if ident:
        print(f"env {ident['env']}: Python {ident['python']}, {len(ident['packages'])} packages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
