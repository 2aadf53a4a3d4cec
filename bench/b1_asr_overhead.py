"""1. ASR stage vs raw faster-whisper: wall time of the asr stage (scripts/asr.py on the asr env,
the rule's own shell command as Snakemake renders it) over a plain faster-whisper script (model
load + transcribe with word timestamps, VAD, same beam) on the same interpreter, with the same
model (base; int8 on cpu, float16 with BENCH_DEVICE=cuda), clip, threads and decoding options.
Target: ratio <= 1.10.

`--config key=value ...` is passed to snakemake when rendering the command."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import asr_runs
import benchmark
import measured
import generated_media
import walltime

TARGET = 1.10


def stage_commands(project: Path, names: list[str], extra: list[str], stage: str = "asr") -> dict[str, str]:
    """The shell command of each in/<name>.wav's work/<stage>/<name>.json, as Snakemake renders
    it (so the benchmark follows the rule): demux first, then one `snakemake -n -p`. A stage
    after asr plans asr's commands too: only the stage's own are returned."""
    walltime.run_timed(walltime.snakemake_cmd("--omit-from", "asr_transcribe", *extra), cwd=project)
    targets = [f"work/{stage}/{name}.json" for name in names]
    done = walltime.run_timed(walltime.snakemake_cmd("-n", "-p", *targets, *extra), cwd=project)
    commands = {}
    for line in done.stdout.splitlines():
        if line.startswith("Shell command:"):
            command = line.split(":", 1)[1].strip()
            output = Path(option(command, "--output"))
            if output.parent.name == stage:
                commands[output.stem] = command
    if sorted(commands) != sorted(names):
        raise RuntimeError(f"expected the {stage} shell commands of {names}, got:\n{done.stdout[-3000:]}")
    return commands


def stage_options(command: str) -> dict:
    """The asr options the rule passes (--options and the film's --vocabulary), for raw_asr."""
    return {**json.loads(option(command, "--options")), **json.loads(option(command, "--vocabulary"))}


def option(command: str, flag: str) -> str:
    words = shlex.split(command.split(">", 1)[0])
    return words[words.index(flag) + 1]


def run(quick: bool = False, config: list[str] | None = None) -> benchmark.Result:
    seconds, reps = (20, 1) if quick else (300, 3)
    extra = ["--config", *config] if config else []
    clip, _ = generated_media.speech_clip(seconds)
    warm, _ = generated_media.speech_clip(12)
    tmp = benchmark.workdir("asr-overhead")
    result = benchmark.Result("asr_overhead", "1. ASR stage (scripts/asr.py) vs raw faster-whisper", "quick" if quick else "full")
    try:
        asr = {"model": "base", "device": asr_runs.DEVICE, "compute_type": asr_runs.COMPUTE_TYPE}
        project = measured.copy_project(tmp / "project", asr=asr)
        shutil.copy(clip, project / "in" / "clip.wav")
        names = ["clip"] if quick else ["clip", "warm"]
        if not quick:
            shutil.copy(warm, project / "in" / "warm.wav")
        measured.preflight(project, *extra)
        commands = stage_commands(project, names, extra)
        (project / "logs" / "asr").mkdir(parents=True, exist_ok=True)  # Snakemake makes log folders
        options = stage_options(commands["clip"])
        threads = int(option(commands["clip"], "--threads"))
        model_path = Path(option(commands["clip"], "--model-path"))
        if model_path.suffix == ".json":  # the bundled model's manifest names its folder
            model_path = model_path.parent / json.loads(model_path.read_text())["folder"]
        result.params = {
            "clip": f"{seconds} s speech, 16 kHz mono WAV (demuxed by the workflow)",
            "stage": "the asr rule's shell command as `snakemake -n -p` renders it, run with bash",
            "model": f"base {asr_runs.COMPUTE_TYPE} {asr_runs.DEVICE}",
            "threads": threads,
            "options": json.dumps(options, sort_keys=True),
            "runs": f"{reps} each, interleaved, median" + ("" if quick else ", after one warm-up each on 12 s"),
        }
        asr_inference: list[float] = []
        raw_reports: list[dict] = []

        def stage(name: str, record: bool = True) -> float:
            timed = walltime.run_timed(["bash", "-c", f"set -euo pipefail; {commands[name]}"], cwd=project)
            if record:
                asr_inference.append(asr_runs.asr_log_inference(project / "logs" / "asr" / f"{name}.log") or float("nan"))
            return timed.wall_s

        def raw(name: str, record: bool = True) -> float:
            audio = project / "work" / "demux" / f"{name}.wav"
            wall, report = asr_runs.raw_asr([audio], threads=threads, options=options, model_path=model_path)
            if record:
                raw_reports.append(report)
            return wall

        if not quick:
            benchmark.log("warm-up (page cache, first loads)")
            stage("warm", record=False)
            raw("warm", record=False)
        benchmark.log(f"{reps} x (asr stage, raw) on {seconds} s")
        asr_walls, raw_walls = walltime.alternate(reps, lambda: stage("clip"), lambda: raw("clip"))
    finally:
        benchmark.cleanup(tmp)

    asr_wall, raw_wall = walltime.median(asr_walls), walltime.median(raw_walls)
    raw_transcribe = walltime.median([r["transcribe_total_s"] for r in raw_reports])
    asr_transcribe = walltime.median(asr_inference)
    result.figure("asr stage command wall (median)", asr_wall)
    result.figure("raw faster-whisper wall (median)", raw_wall)
    result.figure("asr stage runs", [round(x, 2) for x in asr_walls])
    result.figure("raw runs", [round(x, 2) for x in raw_walls])
    result.figure("asr stage inference, as logged (median)", asr_transcribe)
    result.figure("raw inference (median)", raw_transcribe)
    result.figure("asr stage wall - inference (start-up, load, write)", asr_wall - asr_transcribe)
    result.figure("raw wall - inference (start-up, import, load)", raw_wall - raw_transcribe)
    result.figure("raw: import faster_whisper", walltime.median([r["import_s"] for r in raw_reports]))
    result.figure("raw: model load", walltime.median([r["load_s"] for r in raw_reports]))
    result.figure("RTF raw (inference / audio)", raw_transcribe / seconds, "", 3)
    result.figure("RTF asr stage (command wall / audio)", asr_wall / seconds, "", 3)
    result.headline = ["asr stage command wall (median)", "raw faster-whisper wall (median)"]
    result.ratio = asr_wall / raw_wall
    result.ratio_label = "asr stage wall / raw wall"
    result.target, result.target_label = TARGET, f"ratio <= {TARGET}"
    result.met = result.ratio <= TARGET
    if quick:
        result.notes.append("quick mode: a 20 s clip and one run each, a smoke test rather than a measurement")
    return result


if __name__ == "__main__":
    benchmark.standalone(run)
