"""6. Batched inference: faster-whisper's BatchedInferencePipeline at several batch sizes vs
sequential model.transcribe on the same 5-minute clip (base, same threads; int8 on cpu, float16
with BENCH_DEVICE=cuda): real-time factor (inference / audio, model already loaded), peak RSS
and word error rate of each, and a recommended default for the workflow's `asr.batch_size`
(0 = sequential). No target: the ratio is the best batched RTF over the sequential RTF (< 1
means batching is faster)."""

from __future__ import annotations

import asr_runs
import benchmark
import machine
import generated_media
import walltime

import scripts_on_path  # noqa: E402,F401
from subtitles_workflow.wer import word_error_rate  # noqa: E402


def run(quick: bool = False, config: list[str] | None = None) -> benchmark.Result:
    full_sizes = [0, 4, 8, 16] if asr_runs.DEVICE == "cpu" else [0, 8, 16, 32]  # a GPU keeps more chunks busy
    seconds, reps, sizes = (20, 1, [0, 8]) if quick else (300, 2, full_sizes)
    host = "this CPU" if asr_runs.DEVICE == "cpu" else "this GPU"
    threads = min(4, machine.CORES)
    clip, reference = generated_media.speech_clip(seconds)
    warm, _ = generated_media.speech_clip(12)
    options = asr_runs.asr_options()
    result = benchmark.Result("batched", "6. Batched vs sequential inference", "quick" if quick else "full")
    result.params = {
        "clip": f"{seconds} s speech, 16 kHz mono WAV ({len(reference.split())} reference words)",
        "model": f"base {asr_runs.COMPUTE_TYPE} {asr_runs.DEVICE}, {threads} threads, beam {options['beam_size']}, word timestamps, VAD",
        "runs": f"{reps} per batch size, one process each (model load and a 12 s warm-up not timed)"
        if not quick else "1 per batch size, one process each, no warm-up",  # fmt: skip
        "sizes": "0 = sequential model.transcribe (condition_on_previous_text as configured); "
        ">1 = BatchedInferencePipeline (VAD chunks, never conditions on previous text)",
    }
    rows: dict[int, list[dict]] = {size: [] for size in sizes}
    for rep in range(reps):
        for size in sizes:
            benchmark.log(f"run {rep + 1}/{reps}: batch size {size}")
            _, report = asr_runs.raw_asr([clip], threads=threads, options=options, batch_sizes=[size],
                                  warmup=None if quick else warm, text=True)  # fmt: skip
            run = report["runs"][0]
            run["max_rss_mb"] = report["max_rss_mb"]
            rows[size].append(run)
    sequential_text = rows[0][0]["text"] if 0 in rows else ""
    summary = {}
    for size in sizes:
        rtf = walltime.median([r["rtf"] for r in rows[size]])
        summary[size] = {
            "rtf": rtf,
            "transcribe_s": walltime.median([r["transcribe_s"] for r in rows[size]]),
            "rss_mb": max(r["max_rss_mb"] for r in rows[size]),
            "wer_ref": word_error_rate(reference, rows[size][0]["text"]),
            "wer_vs_seq": word_error_rate(sequential_text, rows[size][0]["text"]) if size else 0.0,
            "words": rows[size][0]["words"],
        }
        label = "sequential (0)" if size == 0 else f"batched {size}"
        s = summary[size]
        result.figure(
            f"{label}: RTF / inference / peak RSS / WER",
            f"{s['rtf']:.3f} / {s['transcribe_s']:.1f} s / {s['rss_mb']:.0f} MB / {100 * s['wer_ref']:.1f} %"
            + (f" (vs sequential {100 * s['wer_vs_seq']:.1f} %)" if size else ""),
            "",
        )
    batched = [size for size in sizes if size > 1]
    best = min(batched, key=lambda size: summary[size]["rtf"]) if batched else None
    if best is not None:
        seq, top = summary[0], summary[best]
        result.ratio = top["rtf"] / seq["rtf"]
        result.ratio_label = f"best batched RTF (batch {best}) / sequential RTF"
        result.figure("speed-up of the best batch size", seq["rtf"] / top["rtf"], "x", 2)
        # The smallest batch within 10 % of the best speed, if it is accurate: memory grows with
        # the batch, speed hardly does past a few chunks on a small CPU.
        accurate = [s for s in batched if summary[s]["wer_ref"] <= seq["wer_ref"] + 0.02]
        near = [s for s in accurate if summary[s]["rtf"] <= 1.10 * top["rtf"]]
        pick = min(near) if near else None
        faster = seq["rtf"] / summary[pick]["rtf"] if pick else 1.0
        recommend = pick if pick and faster >= 1.15 else 0
        result.figure(f"recommended asr.batch_size on {host}", recommend, "")
        if recommend:
            why = (
                f"batch {recommend} is {faster:.2f}x faster than sequential, within 10 % of the fastest "
                f"(batch {best}), WER {100 * summary[recommend]['wer_ref']:.1f} % vs {100 * seq['wer_ref']:.1f} %, "
                f"peak RSS {summary[recommend]['rss_mb']:.0f} MB vs {seq['rss_mb']:.0f} MB"
            )
        else:
            why = "no batch size is both >= 1.15x faster and as accurate"
        result.notes.append(
            f"recommendation: asr.batch_size {recommend} on {host} ({machine.CORES} cores; {why}); batched decoding "
            "never conditions on previous text"
        )
    result.headline = [name for name in result.figures if "RTF" in name] + [f"recommended asr.batch_size on {host}"]
    result.target_label = "none (informational: recommend a default)"
    result.details["runs"] = {str(k): [{kk: vv for kk, vv in r.items() if kk != "text"} for r in v] for k, v in rows.items()}
    result.details["summary"] = {str(k): v for k, v in summary.items()}
    if quick:
        result.notes.append("quick mode: a 20 s clip, batch 0 and 8 only, a smoke test rather than a measurement")
    return result


if __name__ == "__main__":
    benchmark.standalone(run)
