"""Speech under noise and music, and pure noise, music and silence: the fixtures of the
coverage goals (issue 28 item 1). Runs on the asr env's Python (numpy):

    .venvs/asr/bin/python bench/coverage_mixes.py OUT_DIR [--seconds-of-each 1200]

writes into OUT_DIR, for every TIMIT speaker of the shared fixtures (10 sentences, human word
times), the speech cut to start at 0.0 s (its first word's onset) and mixed with

* `noise`: pink noise (1/f, as room and fan noise), steady over the whole file;
* `music`: a synthetic music bed (bench/coverage_mixes.py music_bed: piano-like arpeggios, a
  bass line, a sustained pad and hi-hats at 100 bpm, chords changing every 2.4 s);

at 10, 5 and 0 dB SNR, as `<speaker>.<bed>.<snr>db.wav` with `<speaker>.<bed>.<snr>db.words.json`
(the reference words, shifted). SNR is the speech's active level (its power over the reference
words' spans) against the bed's power over the whole file, so pauses do not flatter it. And
`pure.noise.wav`, `pure.music.wav`, `pure.silence.wav` (`--seconds-of-each`, default 20 min):
no speech at all. The recipe is seeded: the same files every run.

TIMIT is measured here, never copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
SNRS = (10, 5, 0)
BEDS = ("noise", "music")
SEED = 28


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as handle:
        assert handle.getframerate() == SAMPLE_RATE and handle.getnchannels() == 1 and handle.getsampwidth() == 2
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16).astype(np.float64) / 32768.0


def write_wav(path: Path, samples: np.ndarray) -> None:
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak > 0.99:  # never clip: the whole mix scaled down (SNR unchanged)
        samples = samples * (0.99 / peak)
    pcm = np.round(np.clip(samples, -1, 1) * 32767).astype("<i2")
    tmp = path.with_suffix(".tmp.wav")
    with wave.open(str(tmp), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes(pcm.tobytes())
    tmp.replace(path)


def pink_noise(count: int, rng: np.random.Generator) -> np.ndarray:
    """1/f noise: white noise shaped in the frequency domain, unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(count))
    freqs = np.fft.rfftfreq(count, 1 / SAMPLE_RATE)
    spectrum /= np.sqrt(np.maximum(freqs, 20.0))
    noise = np.fft.irfft(spectrum, n=count)
    return noise / np.sqrt(np.mean(noise**2))


def note(freq: float, seconds: float, decay: float, harmonics: int = 6) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = sum(np.sin(2 * np.pi * freq * k * t) / k**1.5 for k in range(1, harmonics + 1) if freq * k < 7000)
    attack = np.minimum(1.0, t / 0.005)
    return tone * attack * np.exp(-t / decay)


def music_bed(count: int, rng: np.random.Generator) -> np.ndarray:
    """A pop accompaniment, unit RMS: C G Am F, one chord per bar of 4 beats at 100 bpm, the
    chord arpeggiated in eighths (piano-like: harmonics, fast attack, decay), a bass note each
    beat, a pad holding the chord, and a hi-hat (noise burst) on every eighth."""
    beat = 60 / 100
    chords = [(261.63, 329.63, 392.00), (196.00, 246.94, 293.66), (220.00, 261.63, 329.63), (174.61, 220.00, 261.63)]
    out = np.zeros(count + SAMPLE_RATE * 4)
    bar = 0
    while bar * 4 * beat * SAMPLE_RATE < count:
        chord = chords[bar % len(chords)]
        bar_start = int(bar * 4 * beat * SAMPLE_RATE)
        pad = sum(note(f / 2, 4 * beat, 8.0, 3) for f in chord) * 0.25
        out[bar_start : bar_start + len(pad)] += pad
        for eighth in range(8):
            at = bar_start + int(eighth * beat / 2 * SAMPLE_RATE)
            freq = chord[[0, 1, 2, 1][eighth % 4]] * (2 if eighth >= 4 else 1)
            piano = note(freq, 1.2, 0.35) * 0.5
            out[at : at + len(piano)] += piano
            hat = rng.standard_normal(int(0.03 * SAMPLE_RATE)) * np.exp(-np.arange(int(0.03 * SAMPLE_RATE)) / 60) * 0.15
            hat = np.diff(hat, prepend=0.0)  # bright
            out[at : at + len(hat)] += hat
        for quarter in range(4):
            at = bar_start + int(quarter * beat * SAMPLE_RATE)
            bass = note(chord[0] / 4, beat, 0.5, 4) * 0.6
            out[at : at + len(bass)] += bass
        bar += 1
    out = out[:count]
    return out / np.sqrt(np.mean(out**2))


def bed(kind: str, count: int, rng: np.random.Generator) -> np.ndarray:
    return pink_noise(count, rng) if kind == "noise" else music_bed(count, rng)


def active_power(speech: np.ndarray, words: list[dict]) -> float:
    mask = np.zeros(len(speech), dtype=bool)
    for word in words:
        mask[int(word["start"] * SAMPLE_RATE) : int(word["end"] * SAMPLE_RATE)] = True
    return float(np.mean(speech[mask] ** 2))


def timit_speakers(fixtures: Path) -> list[tuple[str, np.ndarray, list[dict]]]:
    """Each TIMIT speaker's audio from its first word's onset, with the words shifted to match."""
    speakers = []
    for reference in sorted((fixtures / "timing" / "timit").glob("*.words.json")):
        words = json.loads(reference.read_text())["words"]
        onset = words[0]["start"]
        audio = read_wav(reference.with_name(reference.name.replace(".words.json", ".wav")))[int(onset * SAMPLE_RATE) :]
        shifted = [{"word": w["word"], "start": round(w["start"] - onset, 4), "end": round(w["end"] - onset, 4)} for w in words]
        speakers.append((reference.name.replace(".words.json", ""), audio, shifted))
    return speakers


def make_mixes(fixtures: Path, out: Path, seconds_of_each: float) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    made = []
    for name, speech, words in timit_speakers(fixtures):
        level = active_power(speech, words)
        for kind in BEDS:
            backing = bed(kind, len(speech), rng)
            for snr in SNRS:
                mix = speech + backing * np.sqrt(level / 10 ** (snr / 10))
                stem = f"{name}.{kind}.{snr}db"
                write_wav(out / f"{stem}.wav", mix * 0.25)
                (out / f"{stem}.words.json").write_text(json.dumps({"audio": f"{stem}.wav", "words": words}, indent=0))
                made.append(stem)
    count = int(seconds_of_each * SAMPLE_RATE)
    write_wav(out / "pure.noise.wav", pink_noise(count, rng) * 0.1)
    write_wav(out / "pure.music.wav", music_bed(count, rng) * 0.1)
    write_wav(out / "pure.silence.wav", np.zeros(count))
    return made + ["pure.noise", "pure.music", "pure.silence"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--fixtures", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "fixtures")
    parser.add_argument("--seconds-of-each", type=float, default=1200.0)
    args = parser.parse_args(argv)
    made = make_mixes(args.fixtures, args.out, args.seconds_of_each)
    print(json.dumps(made), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
