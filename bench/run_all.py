#!/usr/bin/env python3
"""Run every benchmark of issue #6 and record the figures.

    bench/run_all.py [--quick] [--only 1 4] [--config key=value ...] [--set key.path=value ...]

Writes bench/results/latest.json (and latest-<mode>.json, <mode>-<time>.json, the latter after
every benchmark) and rewrites the results table of bench/README.md (full runs the first table,
--quick the second; --only replaces just its rows; runs with --config/--set leave it alone).
Runs itself on .venvs/workflow/bin/python (PyYAML, psutil). Exit status 1 when a benchmark
failed to run or missed its target.

Environment: BENCH_DEVICE=cuda (benchmarks 1 and 2 on the GPU, float16; default cpu int8);
BENCH_COMMIT (default: HEAD when the run starts, pinned for the whole run);
BENCH_SOURCE=worktree measures the working tree instead;
BENCH_CACHE (generated media, default $TMPDIR/subtitles-bench-cache), BENCH_TMP (scratch),
BENCH_KEEP=1 (keep scratch trees), BENCH_FIXTURES (default ../shared/fixtures),
BENCH_RESULTS (where the JSON records go, default bench/results).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKFLOW_PYTHON = HERE.parent / ".venvs" / "workflow" / "bin" / "python"

try:
    import psutil  # noqa: F401
    import yaml  # noqa: F401
except ImportError:
    if WORKFLOW_PYTHON.exists() and Path(sys.executable) != WORKFLOW_PYTHON:
        os.execv(str(WORKFLOW_PYTHON), [str(WORKFLOW_PYTHON), __file__, *sys.argv[1:]])
    raise SystemExit(f"error: run on {WORKFLOW_PYTHON} (needs PyYAML and psutil); build it with `make test`")

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402


import benchmark
import machine
import measured

BENCHMARKS = {
    "1": "b1_asr_overhead",
    "1b": "b1b_real_speech",
    "1b-hi": "b1b_hindi",
    "2": "b2_pipeline",
    "3": "b3_batch_clips",
    "4": "b4_orchestration",
    "5": "b5_peak_rss",
    "6": "b6_batched",
}
RESULTS = Path(os.environ.get("BENCH_RESULTS", HERE / "results"))
README = HERE / "README.md"
MARKERS = {
    "full": ("<!-- results:full:start -->", "<!-- results:full:end -->"),
    "quick": ("<!-- results:quick:start -->", "<!-- results:quick:end -->"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny inputs, ~2 minutes: a smoke test")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run these benchmarks only")
    parser.add_argument("--config", nargs="*", default=[], help="key=value passed to snakemake --config")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY.PATH=VALUE",
                        help="typed override written into each project copy's config.yaml, e.g. asr.worker=true")
    parser.add_argument("--no-readme", action="store_true", help="leave bench/README.md alone")
    args = parser.parse_args()
    measured.SETS.update(measured.parse_sets(args.set))
    mode = "quick" if args.quick else "full"
    chosen = args.only or sorted(BENCHMARKS)
    started = time.time()
    benchmark.log(f"{mode} run of benchmarks {', '.join(chosen)} on {machine.machine_line()}")
    revision = measured.source_revision()
    benchmark.log(f"measuring {revision['source']} (commit {revision['commit']})")
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(started))
    record = {
        "mode": mode,
        "date": time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(started)),
        "duration_s": 0,
        "complete": False,
        "machine": machine.machine(),
        "revision": revision,
        "config": args.config,
        "set": args.set,
        "results": [],
        "failures": [],
    }
    for key in chosen:
        module = importlib.import_module(BENCHMARKS[key])
        began = time.time()
        try:
            result = benchmark.execute(module.run, quick=args.quick, config=args.config).as_dict()
            result["date"] = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(began))
            result["module"] = BENCHMARKS[key]
            result["commit"] = revision["commit"]
            record["results"].append(result)
        except BaseException as err:  # one broken benchmark must not lose the others' figures
            if isinstance(err, KeyboardInterrupt):
                raise
            traceback.print_exc()
            record["failures"].append(
                {"benchmark": key, "module": BENCHMARKS[key], "error": f"{type(err).__name__}: {err}"[:2000]}
            )
        record["duration_s"] = round(time.time() - started)
        write(record, [f"{mode}-{stamp}.json"])  # after each benchmark: an interrupted run keeps its figures
    record["complete"] = True
    names = ["latest.json", f"{mode}-{stamp}.json"]
    plain = not args.config and not args.set
    if plain:
        # The mode's record: a partial run (--only) replaces just the benchmarks it ran.
        latest = merge(RESULTS / f"latest-{mode}.json", record) if args.only else record
        write(latest, [f"latest-{mode}.json"])
        if not args.no_readme:
            update_readme(latest)
    write(record, names)
    print(f"\n{len(record['results'])} benchmark(s) ran in {record['duration_s']} s, "
          f"{len(record['failures'])} failed to run; results in {RESULTS / 'latest.json'}")  # fmt: skip
    summary(record)
    missed = [r for r in record["results"] if r["met"] is False]
    return 1 if record["failures"] or missed else 0


def write(record: dict, names: list[str]) -> None:
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(record, indent=1, default=str) + "\n"
    for name in names:
        (RESULTS / name).write_text(text)


def merge(path: Path, record: dict) -> dict:
    """`record`'s benchmarks replace their namesakes in the record at `path` (if any)."""
    if not path.exists():
        return record
    old = json.loads(path.read_text())
    ran = {r["module"] for r in record["results"]} | {f["module"] for f in record["failures"]}
    kept = [r for r in old.get("results", []) if r.get("module") not in ran]
    merged = dict(record)
    merged["results"] = sorted(kept + record["results"], key=lambda r: r["title"])
    merged["failures"] = [f for f in old.get("failures", []) if f["module"] not in ran] + record["failures"]
    # The header keeps the whole run's date and commit; each re-run row carries its own.
    merged["revision"] = old.get("revision", record["revision"])
    merged["base_date"] = old.get("base_date") or old.get("date", "?").split(" (")[0]
    merged["reruns"] = {**old.get("reruns", {}), **{module: record["date"] for module in ran}}
    reruns = ", ".join(f"{module} {date}" for module, date in sorted(merged["reruns"].items()))
    merged["date"] = f"{merged['base_date']} (re-run since: {reruns})"
    merged["duration_s"] = old.get("duration_s", 0) + record["duration_s"]
    return merged


def summary(record: dict) -> None:
    for r in record["results"]:
        verdict = {True: "met", False: "MISSED", None: "n/a"}[r["met"]]
        ratio = f"{r['ratio']:.3f}" if r["ratio"] is not None else "-"
        print(f"  {r['title']:<62} ratio {ratio:>7}  target {r['target_label']:<34} {verdict}")
    for f in record["failures"]:
        print(f"  benchmark {f['benchmark']} ({f['module']}) FAILED TO RUN: {f['error'].splitlines()[0]}")


def table(record: dict) -> str:
    m = record["machine"]
    rev = record["revision"]
    lines = [
        f"{'Full' if record['mode'] == 'full' else 'Quick (smoke)'} run of {record['date']}, commit "
        f"`{rev['commit']}` ({'a copy of the commit' if rev['source'] == 'head' else 'the working tree'}), "
        f"{record['duration_s'] // 60} min {record['duration_s'] % 60} s.",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}; "
        f"faster-whisper {m['faster_whisper']}, CTranslate2 {m['ctranslate2']}, Snakemake {m['snakemake']}, "
        f"ffmpeg {m['ffmpeg'].split()[0]}"
        + ("; PYTHONDONTWRITEBYTECODE=1 (no bytecode cache)" if m.get("PYTHONDONTWRITEBYTECODE") else "")
        + ".",
        "",
        "| # | Benchmark | Measured | Ratio (same run) | Target | Verdict | Run |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in record["results"]:
        number = r["title"].split(".", 1)[0]
        name = r["title"].split(". ", 1)[-1]
        headline = "; ".join(_headline(r))
        ratio = f"{r['ratio']:.2f} ({r['ratio_label']})" if r["ratio"] is not None else "-"
        verdict = {True: "met", False: "**missed**", None: "-"}[r["met"]]
        contention = r["details"].get("contention", {}).get("foreign_cpu_pct")
        if contention and contention > 5:
            verdict += f" (other load {contention:.0f} %)"
        took = f"{r.get('date', record['date'])}, `{r.get('commit', rev['commit'])}`, {r['wall_s'] / 60:.0f} min" if r.get("wall_s") else ""
        lines.append(f"| {number} | {name} | {headline} | {ratio} | {r['target_label']} | {verdict} | {took} |")
    for f in record["failures"]:
        lines.append(f"| {f['benchmark']} | {f['module']} | failed to run: {f['error'].splitlines()[0][:120]} | - | - | **error** | |")
    return "\n".join(line.replace("\n", " ") for line in lines)


def _headline(r: dict) -> list[str]:
    names = r.get("headline") or list(r["figures"])[:2]
    out = []
    for name in names:
        fig = r["figures"].get(name)
        if fig is None:
            continue
        unit = "" if fig["unit"] in ("", "x") else f" {fig['unit']}"
        out.append(f"{name}: {fig['value']}{unit}".replace("|", "\\|"))
    return out


def update_readme(record: dict) -> None:
    start, end = MARKERS[record["mode"]]
    text = README.read_text() if README.exists() else ""
    if start not in text or end not in text:
        print(f"note: {README} has no {start} ... {end} markers; table not written")
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    README.write_text(f"{head}{start}\n{table(record)}\n{end}{tail}")
    benchmark.log(f"updated the {record['mode']} results table in {README}")


if __name__ == "__main__":
    sys.exit(main())
