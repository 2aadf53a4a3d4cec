"""2. Whole pipeline vs raw ASR: `snakemake` (demux, asr, subtitles, mux) on a fresh copy of the
project with one 5-minute film, over a plain faster-whisper run (process wall: start-up, model
load, transcription) on the same audio. Target: ratio <= 1.30."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import asr_runs
import benchmark
import machine
import measured
import generated_media
import walltime

TARGET = 1.30
ORDER = ("demux_audio", "asr_transcribe", "timing_refine", "subtitles_render", "mux_video", "report_film")


def run(quick: bool = False, config: list[str] | None = None) -> benchmark.Result:
    seconds, reps = (20, 1) if quick else (300, 3)
    threads = min(4, machine.CORES)
    clip, _ = generated_media.speech_clip(seconds)
    film = generated_media.video_from_audio(clip)
    result = benchmark.Result("pipeline", "2. Whole pipeline (snakemake) vs raw ASR", "quick" if quick else "full")
    result.params = {
        "film": f"{seconds} s mp4 (testsrc2 640x360 24 fps H.264 + AAC of the speech clip)",
        "pipeline": "fresh project copy, `snakemake --cores %d%s`: the default target (every job the film needs)"
        % (machine.CORES, "".join(f" --config {x}" for x in config or [])),
        "raw": f"bench/raw_asr.py on the WAV the pipeline's demux made, base {asr_runs.COMPUTE_TYPE} {asr_runs.DEVICE}, {threads} threads",
        "runs": f"{reps} each, interleaved, median",
    }
    options = asr_runs.asr_options()
    stage_rows: list[dict] = []
    dry_runs: list[float] = []
    checked: list[dict] = []
    runs: list[walltime.SnakemakeRun] = []
    resolved: list[str] = []
    scratch = benchmark.workdir("pipeline-raw")
    demuxed = scratch / "film.wav"

    def pipeline() -> float:
        tmp = benchmark.workdir("pipeline")
        try:
            measured.copy_project(tmp)  # the config's own device and compute type `auto`: what a user gets
            os.link(film, tmp / "in" / "film.mp4") if _same_fs(film, tmp) else shutil.copy(film, tmp / "in" / "film.mp4")
            extra = ["--config", *config] if config else []
            if not checked:
                checked.append(measured.preflight(tmp, *extra))
            run = walltime.run_snakemake(extra, cwd=tmp)
            if not (tmp / "out" / "film.en.srt").exists() or not (tmp / "out" / "film.mp4").exists():
                raise RuntimeError(f"pipeline made no subtitles/muxed film:\n{run.output[-4000:]}")
            stage_rows.append(walltime.read_tsv_benchmarks(tmp))
            resolved.append(asr_device(tmp / "logs" / "asr" / "film.log"))
            runs.append(run)
            if not demuxed.exists():  # the raw baseline decodes exactly what the asr job decoded
                shutil.copy(tmp / "work" / "demux" / "film.wav", demuxed)
            if not quick:
                dry_runs.append(walltime.run_timed(walltime.snakemake_cmd("-n", *extra), cwd=tmp).wall_s)
            return run.wall_s
        finally:
            benchmark.cleanup(tmp)

    def raw() -> float:
        return asr_runs.raw_asr([demuxed], threads=threads, options=options)[0]

    benchmark.log(f"{reps} x (pipeline, raw) on {seconds} s")
    try:
        pipe_walls, raw_walls = walltime.alternate(reps, pipeline, raw)
    finally:
        benchmark.cleanup(scratch)
    if any(not device.startswith(f"{asr_runs.DEVICE} ") for device in resolved):
        raise RuntimeError(f"the asr stage's `auto` resolved to {resolved}, the raw baseline ran on {asr_runs.DEVICE}")
    pipe, raw_wall = walltime.median(pipe_walls), walltime.median(raw_walls)
    result.figure("asr stage device (config `auto`, as logged)", resolved[0], "")
    result.figure("pipeline wall (median)", pipe)
    result.figure("raw ASR wall (median)", raw_wall)
    result.figure("pipeline runs", [round(x, 2) for x in pipe_walls])
    result.figure("raw runs", [round(x, 2) for x in raw_walls])
    result.figure("RTF pipeline (wall / film length)", pipe / seconds, "", 3)
    result.figure("RTF raw ASR (wall / film length)", raw_wall / seconds, "", 3)
    typical = min(runs, key=lambda r: abs(r.wall_s - pipe))
    walltime.job_figures(result, typical, ORDER)
    if dry_runs:
        result.figure("no-op `snakemake -n` afterwards (start-up + DAG)", walltime.median(dry_runs))
    result.headline = ["pipeline wall (median)", "raw ASR wall (median)", "snakemake alone (no job running)"]
    result.ratio = pipe / raw_wall
    result.ratio_label = "pipeline wall / raw ASR wall"
    result.target, result.target_label = TARGET, f"ratio <= {TARGET}"
    result.met = result.ratio <= TARGET
    result.details["stages"] = stage_rows
    result.details["jobs"] = [r.jobs for r in runs]
    if quick:
        result.notes.append("quick mode: a 20 s film and one run each, a smoke test rather than a measurement")
    return result


ASR_DEVICE = re.compile(r"device (\w+) \((.*?)\), compute type (\w+)")


def asr_device(log_path: Path) -> str:
    """`cuda float16 (a CUDA device is visible)`: what the asr stage resolved `auto` to."""
    match = ASR_DEVICE.search(log_path.read_text(errors="replace"))
    return f"{match[1]} {match[3]} ({match[2]})" if match else "unknown"


def _same_fs(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


if __name__ == "__main__":
    benchmark.standalone(run)
