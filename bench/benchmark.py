"""A benchmark's run and record: the Result every benchmark returns, how one is run (execute:
with the other load on the machine measured around it), printed and logged, its scratch folder
and clean-up, and the command line of a benchmark run alone (standalone).

Stdlib only, except for psutil (the workflow env has it), to stop what a run left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from machine import CORES, background_load, cpu_snapshot, machine, machine_line
from measured import SETS, parse_sets, source_revision


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
