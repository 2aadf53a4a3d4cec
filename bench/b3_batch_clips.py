"""3. A batch of 100 short clips (3-15 s, cut from the speech fixtures): total `snakemake` wall
over the sum of pure inference time (inside transcribe, model already loaded), measured with
the same model and threads in one warm faster-whisper process. Target: ratio <= 1.30 with the
default config.

The workflow runs twice: with the defaults (`asr.worker: auto`: clips this short go to warm
ASR workers, one model load for the batch, still a job per clip) and with `asr.worker: false`
(each asr job loads the model), for comparison; the ratio is the defaults'. `--config
key=value ...` is passed to snakemake."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import asr_runs
import benchmark
import machine
import measured
import generated_media
import walltime

TARGET = 1.30


def make_clips(count: int, low: float, high: float) -> list[Path]:
    """`count` WAV clips of low..high s (seeded), cut one after another along the speech
    fixtures laid end to end with 0.8 s gaps, so they start and end anywhere, mid-word too."""
    pool = generated_media.speech_pool()
    rng = random.Random(6)
    durations = [round(rng.uniform(low, high), 2) for _ in range(count)]

    def make(path: Path) -> None:
        timeline = b"".join(generated_media.pcm(s) + generated_media.silence(0.8) for s in pool)
        clip_dir = path
        clip_dir.mkdir(parents=True)
        offset = 0
        for index, seconds in enumerate(durations):
            size = int(seconds * generated_media.SAMPLE_RATE) * 2
            if offset + size > len(timeline):
                offset = 0
            generated_media.write_wav(clip_dir / f"clip{index:03d}.wav", [timeline[offset : offset + size]])
            offset += size
        (clip_dir / "done").touch()

    folder = generated_media.cached("clips", {"count": count, "low": low, "high": high, "durations": durations}, make)
    if not (folder / "done").exists():
        raise SystemExit(f"error: {folder} is incomplete; delete it and run again")
    return sorted(folder.glob("clip*.wav"))


def run(quick: bool = False, config: list[str] | None = None) -> benchmark.Result:
    count, low, high = (3, 3.0, 6.0) if quick else (100, 3.0, 15.0)
    threads = min(4, machine.CORES)
    clips = make_clips(count, low, high)
    audio_s = sum(generated_media.wav_seconds(p) for p in clips)
    extra = ["--config", *config] if config else []
    result = benchmark.Result("batch_clips", f"3. Batch of {count} short clips: snakemake vs pure inference", "quick" if quick else "full")
    result.params = {
        "clips": f"{count} WAV clips, {low:g}-{high:g} s, {audio_s:.0f} s of audio in all",
        "pipeline": f"fresh project copy, `snakemake --cores {machine.CORES}{''.join(' --config ' + x for x in config or [])}`"
        " (audio only: no mux; the default target), with asr.worker: false and with the defaults",
        "inference": f"bench/raw_asr.py, one process, model loaded once, warm-up on clip 0, {threads} threads",
    }
    # Two runs: a process per asr job (asr.worker: false), and the defaults (auto: warm
    # workers for short clips). The ratio is the defaults' unless --set asr.worker=... fixed
    # the mode.
    modes = {"one process per job (asr.worker: false)": {"asr": {"worker": False}}, "defaults": {}}
    if "worker" in measured.SETS.get("asr", {}):
        modes = {f"asr.worker={measured.SETS['asr']['worker']}": {}}
    runs, logs = {}, {}
    for mode, overrides in modes.items():
        tmp = benchmark.workdir("batch")
        try:
            measured.copy_project(tmp, **overrides)
            for clip in clips:
                shutil.copy(clip, tmp / "in" / clip.name)
            measured.preflight(tmp, *extra)
            benchmark.log(f"snakemake on {count} clips, {mode}")
            runs[mode] = walltime.run_snakemake(extra, cwd=tmp, timeout=7200)
            made = len(list((tmp / "out").glob("*.srt")))
            if made != count:
                raise RuntimeError(f"only {made} of {count} subtitle files made:\n{runs[mode].output[-4000:]}")
            logs[mode] = [asr_runs.asr_log_inference(p) for p in sorted((tmp / "logs" / "asr").glob("*.log"))]
        finally:
            benchmark.cleanup(tmp)
    mode = list(modes)[-1]
    run, logged = runs[mode], logs[mode]
    benchmark.log(f"raw inference on {count} clips, one process")
    raw_wall, raw = asr_runs.raw_asr(clips, threads=threads, options=asr_runs.asr_options(), warmup=clips[0])
    start = walltime.run_timed([str(machine.ASR_PYTHON), "-c", "import faster_whisper"])
    bare = walltime.run_timed([str(machine.ASR_PYTHON), "-c", "pass"])

    wall = run.wall_s
    inference = raw["transcribe_total_s"]
    for other, other_run in runs.items():
        result.figure(f"snakemake wall, {other}", other_run.wall_s)
    result.figure("snakemake wall", wall)
    result.figure("sum of pure inference (raw, warm)", inference)
    result.figure("audio", audio_s)
    result.figure("snakemake wall per clip", wall / count)
    result.figure("pure inference per clip", inference / count)
    walltime.job_figures(result, run, ("demux_audio", "asr_transcribe", "timing_refine", "subtitles_render", "report_film"))
    asr_jobs = run.by_rule().get("asr_transcribe")
    if all(x is not None for x in logged) and logged:
        in_job = sum(logged)
        result.figure("asr jobs: inference as logged (sum)", in_job)
        if asr_jobs:
            result.figure("asr jobs: wall - logged inference, per job", (asr_jobs["sum_s"] - in_job) / asr_jobs["jobs"])
        result.details["ratio_vs_logged_inference"] = round(wall / in_job, 3)
    result.figure("asr env: python start + import faster_whisper", start.wall_s)
    result.figure("asr env: bare python start", bare.wall_s)
    result.figure("model load (raw, once)", raw["load_s"])
    result.headline = [f"snakemake wall, {m}" for m in runs] + ["sum of pure inference (raw, warm)",
                       "asr jobs: wall - logged inference, per job"]  # fmt: skip
    result.ratio = wall / inference
    result.ratio_label = f"snakemake wall ({mode}) / sum of pure inference"
    result.target, result.target_label = TARGET, f"ratio <= {TARGET}"
    result.met = result.ratio <= TARGET
    result.details["raw_wall_s"] = round(raw_wall, 2)
    if quick:
        result.notes.append(f"quick mode: {count} clips of {low:g}-{high:g} s, a smoke test rather than a measurement")
    return result


if __name__ == "__main__":
    benchmark.standalone(run)
