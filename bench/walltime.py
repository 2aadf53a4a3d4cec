"""Wall time of one command (run_timed), of a Snakemake run watched line by line with
every job's start and end (run_snakemake), Snakemake's own `benchmark:` files, and runs
interleaved (A B A B) and their medians.

Stdlib only.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from machine import CORES, SNAKEMAKE, base_env

if TYPE_CHECKING:
    from benchmark import Result


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


def snakemake_cmd(*args: str, cores: int = CORES) -> list[str]:
    return [str(SNAKEMAKE), "--cores", str(cores), *args]


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


def job_figures(result: Result, run: SnakemakeRun, order: tuple[str, ...] = ()) -> None:
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


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def alternate(runs: int, *steps: Callable[[], float], mirrored: bool = False) -> list[list[float]]:
    """Run the steps interleaved (A B A B ...) so drift (thermal, page cache, neighbours)
    hits all of them alike; per step, the list of its measurements. `mirrored`: every other
    round in reverse order (A B B A ...), so a step is not always the one that runs later."""
    out: list[list[float]] = [[] for _ in steps]
    for round_number in range(runs):
        order = list(enumerate(steps))
        if mirrored and round_number % 2:
            order.reverse()
        for index, step in order:
            out[index].append(step())
    return out


def round_ratios(numerators: list[float], denominators: list[float]) -> list[float]:
    """Each round's ratio of two interleaved steps."""
    return [a / b for a, b in zip(numerators, denominators)]


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """Median of the per-round ratios of two interleaved steps: each round's pair ran
    back to back, so a machine that is slower for minutes slows both sides of a ratio."""
    return median(round_ratios(numerators, denominators))
