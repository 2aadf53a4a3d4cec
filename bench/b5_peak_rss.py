"""5. Peak memory of each stage on a 2-hour film (base model, CPU): `snakemake` on a fresh
project copy, every job's process tree sampled every 0.2 s (RSS summed over the tree), next to
Snakemake's own `benchmark:` max_rss and the kernel's exact peak of the largest process
(/usr/bin/time -v). Target: <= 2 GB for every stage. The ratio is the asr stage's peak on the
long film over its peak on a 20 s clip (how memory grows with the length of the film).

`--config key=value ...` is passed to snakemake (e.g. --config 'asr={batch_size: 8}')."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from pathlib import Path

import asr_runs
import benchmark
import machine
import measured
import generated_media
import walltime
from project import MODELS

TARGET_MB = 2048
STAGE = re.compile(r"scripts/(\w+)\.py")


def peak_rss(proc) -> int:
    """The process's own high-water mark (VmHWM: exact, even between samples), else its RSS."""
    try:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return proc.memory_info().rss


class TreeSampler(threading.Thread):
    """Peak RSS per stage of the jobs a Snakemake process runs: each child of Snakemake is
    one job; its stage is the scripts/<stage>.py in its tree's command lines. A job's figure
    is the sum of its processes' high-water marks (VmHWM) at the last sample: exact per
    process, an upper bound for the tree (their peaks need not coincide)."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        import psutil

        self.psutil = psutil
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peaks: dict[str, float] = {}
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        psutil = self.psutil
        while not self.stop.is_set():
            try:
                self.bump("snakemake (orchestrator)", peak_rss(self.root))
                children = self.root.children(recursive=False)
            except psutil.Error:
                break
            for child in children:
                try:
                    tree = [child, *child.children(recursive=True)]
                    stage = None
                    rss = 0
                    for proc in tree:
                        try:
                            rss += peak_rss(proc)
                            match = stage or STAGE.search(" ".join(proc.cmdline()))
                            stage = stage or (match[1] if match else None)
                        except psutil.Error:
                            pass
                    self.bump(stage or "other children (ffprobe, ...)", rss)
                except psutil.Error:
                    pass
            self.samples += 1
            self.stop.wait(self.interval)

    def bump(self, stage: str, rss: int) -> None:
        self.peaks[stage] = max(self.peaks.get(stage, 0.0), rss / 2**20)


def time_v_peak_mb(stderr: str) -> float | None:
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(match[1]) / 1024 if match else None


def short_asr_peak(threads: int) -> float:
    """Exact peak RSS (kernel) of the asr stage CLI on a 20 s clip."""
    clip, _ = generated_media.speech_clip(20)
    tmp = benchmark.workdir("rss-short")
    try:
        project = measured.copy_project(tmp / "project")
        options = asr_runs.asr_options()
        cmd = ["/usr/bin/time", "-v", str(machine.ASR_PYTHON), str(project / "scripts" / "asr.py"), "--audio", str(clip),
               "--output", str(tmp / "out.json"), "--model", "base", "--model-path",
               str(MODELS / "faster-whisper-base"), "--language", "en", "--options", json.dumps(options),
               "--threads", str(threads)]  # fmt: skip
        done = walltime.run_timed(cmd, cwd=tmp)
        return time_v_peak_mb(done.stderr) or float("nan")
    finally:
        benchmark.cleanup(tmp)


def run(quick: bool = False, config: list[str] | None = None) -> benchmark.Result:
    seconds = 120 if quick else 7200
    threads = min(4, machine.CORES)
    extra = ["--config", *config] if config else []
    audio = generated_media.film_audio(seconds)
    benchmark.log(f"film of {seconds} s (video 160x90 5 fps + AAC)")
    film = generated_media.video_from_audio(audio, size="160x90", rate=5)
    result = benchmark.Result("peak_rss", f"5. Peak RSS per stage, {seconds / 60:g}-minute film", "quick" if quick else "full")
    result.params = {
        "film": f"{seconds} s mp4: speech fixtures looped with pauses (~60 % speech), testsrc2 160x90 5 fps",
        "pipeline": f"fresh project copy, `/usr/bin/time -v snakemake --cores {machine.CORES}{''.join(' --config ' + x for x in config or [])}`",
        "sampling": "each job's process tree every 0.1 s, summed VmHWM (exact per process); "
        "tsv = Snakemake's benchmark: max_rss (sampled each 1 s, then every 30 s)",
    }
    tmp = benchmark.workdir("rss")
    try:
        measured.copy_project(tmp)
        shutil.copy(film, tmp / "in" / "film.mp4")
        measured.preflight(tmp, *extra)
        benchmark.log("snakemake on the film")
        samplers: list[TreeSampler] = []

        def watch(proc) -> None:
            import psutil

            time.sleep(0.05)  # /usr/bin/time forks snakemake
            children = psutil.Process(proc.pid).children()
            samplers.append(TreeSampler(children[0].pid if children else proc.pid))
            samplers[0].start()

        run = walltime.run_snakemake(extra, cwd=tmp, prefix=["/usr/bin/time", "-v"], on_start=watch, check=False)
        sampler = samplers[0]
        sampler.stop.set()
        sampler.join()
        wall = run.wall_s
        if run.returncode != 0 or not (tmp / "out" / "film.en.srt").exists():
            raise RuntimeError(f"snakemake failed ({run.returncode}):\n{run.output[-6000:]}")
        tsv = walltime.read_tsv_benchmarks(tmp)
        asr_log = (tmp / "logs" / "asr" / "film.log").read_text(errors="replace")
    finally:
        benchmark.cleanup(tmp)
    benchmark.log("asr stage on a 20 s clip (baseline)")
    short = short_asr_peak(threads)

    result.figure("pipeline wall", wall, "s", 0)
    rules = run.by_rule()
    for stage in ("demux", "asr", "subtitles", "mux", "report"):
        sampled = sampler.peaks.get(stage)
        rows = tsv.get(stage, [])
        tsv_rss = max((r.get("max_rss", 0.0) for r in rows), default=None)
        job_s = next((v["sum_s"] for k, v in rules.items() if k.startswith(stage)), None)
        if sampled is None and tsv_rss is None:
            continue
        text = f"{sampled:.0f} MB (VmHWM)" if sampled is not None else "not sampled"
        text += f", tsv max_rss {tsv_rss:.0f} MB" if tsv_rss is not None else ""
        text += f", job {job_s:.0f} s" if job_s is not None else ""
        result.figure(f"stage {stage}", text, "")
    for other in ("snakemake (orchestrator)", "other children (ffprobe, ...)"):
        if other in sampler.peaks:
            result.figure(other, sampler.peaks[other], "MB", 0)
    kernel = time_v_peak_mb(run.output)
    result.figure("largest single process, kernel peak (time -v)", kernel, "MB", 0)
    result.figure("asr stage on a 20 s clip, kernel peak", short, "MB", 0)
    match = re.search(r"([\d.]+) s audio in ([\d.]+) s \(RTF ([\d.]+)\)", asr_log)
    if match:
        result.figure("asr: audio / inference (as logged)", f"{float(match[1]):.0f} s / {float(match[2]):.0f} s (RTF {match[3]})", "")
    worst = max(
        [v for k, v in sampler.peaks.items() if k != "snakemake (orchestrator)"] + [kernel or 0.0]
    )  # fmt: skip
    asr_peak = max(sampler.peaks.get("asr", 0.0), kernel or 0.0)
    result.figure("worst stage peak", worst, "MB", 0)
    result.ratio = asr_peak / short if short else None
    result.ratio_label = f"asr peak on {seconds / 60:g} min / on 20 s"
    result.target, result.target_label = TARGET_MB, f"every stage <= {TARGET_MB} MB"
    result.met = worst <= TARGET_MB
    result.headline = ["stage demux", "stage asr", "stage subtitles", "stage mux", "stage report", "pipeline wall"]
    result.details["samples"] = sampler.samples
    result.details["peaks_mb"] = {k: round(v) for k, v in sampler.peaks.items()}
    result.details["tsv"] = tsv
    if quick:
        result.notes.append("quick mode: a 2-minute film, a smoke test rather than a measurement")
    return result


if __name__ == "__main__":
    benchmark.standalone(run)
