"""The machine the benchmarks run on: what it is (CPU, cores, RAM, and the versions of what is
measured), the programs they start (Snakemake and the envs' interpreters) and the environment
they start them in (a fail-fast `scontrol` where the SLURM plugin would probe a controller), and
how busy other processes keep it while a benchmark runs.

Stdlib only.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from project import VENVS

SNAKEMAKE = VENVS / "workflow" / "bin" / "snakemake"
WORKFLOW_PYTHON = VENVS / "workflow" / "bin" / "python"
ASR_PYTHON = VENVS / "asr" / "bin" / "python"
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _cmd_version(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "?"


_MACHINE: dict[str, Any] | None = None


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, Python and the versions of what is measured."""
    global _MACHINE
    if _MACHINE is not None:
        return _MACHINE
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    versions = _cmd_version(
        [str(ASR_PYTHON), "-c", "import sys, importlib.metadata as m; "
         "print(sys.version.split()[0], m.version('faster-whisper'), m.version('ctranslate2'))"]
    ).split()  # fmt: skip
    _MACHINE = {
        "cpu": cpu,
        "cores": CORES,
        "ram_gb": ram_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "asr_python": versions[0] if len(versions) == 3 else "unavailable",
        "faster_whisper": versions[1] if len(versions) == 3 else "unavailable",
        "ctranslate2": versions[2] if len(versions) == 3 else "unavailable",
        "snakemake": _cmd_version([str(WORKFLOW_PYTHON), "-c", "import importlib.metadata as m; print(m.version('snakemake'))"]),
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
        "scontrol": shutil.which("scontrol"),
        "slurm_plugin_in_workflow_env": slurm_plugin_installed(),
        "scontrol_stubbed": base_env().get("PATH", "").startswith(str(STUB_BIN)),
        "bytecode_compiled": {
            env: any((VENVS / env).glob(f"lib/python*/site-packages/{pkg}/__pycache__/*.pyc"))
            for env, pkg in (("workflow", "snakemake"), ("asr", "faster_whisper"))
        },
        "ffmpeg": _cmd_version(["ffmpeg", "-version"]).replace("ffmpeg version ", "").split(" Copyright")[0],
        "gpu": _cmd_version(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"])
        if shutil.which("nvidia-smi") else None,
    }
    return _MACHINE


def machine_line(m: dict[str, Any] | None = None) -> str:
    m = m or machine()
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']} "
        f"(asr env {m['asr_python']}), faster-whisper {m['faster_whisper']}, CTranslate2 {m['ctranslate2']}, "
        f"Snakemake {m['snakemake']}"
        + (", PYTHONDONTWRITEBYTECODE=1" if m.get("PYTHONDONTWRITEBYTECODE") else "")
        + (", scontrol stubbed (fail-fast) for Snakemake runs" if m.get("scontrol_stubbed") else "")
        + (f", GPU {m['gpu']}" if m.get("gpu") else "")
    )


# ------------------------------------------------------------------------ environment
# snakemake-executor-plugin-slurm, when installed in the workflow env, runs `scontrol show
# config` whenever Snakemake starts, even for local runs: instant where SLURM is absent, ~9 s
# where the SLURM client is installed but no controller answers. With the plugin there, the
# benchmarks put a fail-fast `scontrol` first on PATH, as on a machine without SLURM, so their
# figures do not swing with the controller, and benchmark 4 measures the real probe too.
# BENCH_REAL_SCONTROL=1 turns this off.
STUB_BIN = Path(tempfile.gettempdir()) / "subtitles-bench-stub-bin"


def slurm_plugin_installed() -> bool:
    return any((VENVS / "workflow").glob("lib/python*/site-packages/snakemake_executor_plugin_slurm"))


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    if os.environ.get("BENCH_REAL_SCONTROL") or not shutil.which("scontrol") or not slurm_plugin_installed():
        return env
    stub = STUB_BIN / "scontrol"
    if not stub.exists():
        STUB_BIN.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\n# benchmark stub: behave as if SLURM were absent\nexit 1\n")
        stub.chmod(0o755)
    env["PATH"] = f"{STUB_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def slurm_probe_s() -> float | None:
    """What snakemake-executor-plugin-slurm's start-up probe costs here (None: no scontrol)."""
    if not shutil.which("scontrol"):
        return None
    started = time.perf_counter()
    try:
        subprocess.run(["scontrol", "show", "config"], capture_output=True, timeout=12)
    except subprocess.TimeoutExpired:
        pass
    return round(time.perf_counter() - started, 2)


def bytecode_cache_env(folder: Path) -> dict[str, str]:
    """The environment with bytecode caching on, into `folder` (never into the venvs)."""
    env = {k: v for k, v in base_env().items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder)
    return env


# ------------------------------------------------------------------------- other load
def cpu_snapshot() -> dict[str, float]:
    """Machine-wide busy CPU seconds (/proc/stat), steal, and this process tree's own CPU
    seconds (self + reaped children): their difference over a run is other people's load."""
    import resource

    hz = os.sysconf("SC_CLK_TCK")
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    own = sum(
        getattr(resource.getrusage(who), attr)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for attr in ("ru_utime", "ru_stime")
    )
    return {"busy": (user + nice + system + irq + softirq) / hz, "steal": steal / hz, "own": own}


def background_load(seconds: float = 1.0) -> float:
    """Percent of the machine's CPU busy while this process idles (others' load right now)."""
    before = cpu_snapshot()
    time.sleep(seconds)
    after = cpu_snapshot()
    return round(100 * max(0.0, (after["busy"] - before["busy"]) - (after["own"] - before["own"])) / (seconds * CORES), 1)
