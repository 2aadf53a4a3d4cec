"""The asr stage's own speech detector (scripts/subtitles_workflow/signal_speech.py), independent
of silero: it finds speech that starts at 0.0 s under loud noise, and calls no noise, music,
hum or silence speech. Noise and music are generated (bench/coverage_mixes.py); the speech is
a TIMIT speaker with human word times (shared fixtures, skipped without them)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import FIXTURES
from coverage_mixes import active_power, music_bed, note, pink_noise, timit_speakers
from subtitles_workflow.signal_speech import detect_speech, speech_evidence

SR = 16_000
RNG = np.random.default_rng(7)


def seconds_found(samples: np.ndarray) -> float:
    return sum(end - start for start, end in detect_speech(samples))


def bursts(n: int, floor: np.ndarray, noise) -> np.ndarray:
    """1 s of another noise than the floor's, 20 dB over it, every 3 s (a door, traffic)."""
    for start in range(SR, n - SR, 3 * SR):
        floor[start : start + SR] += noise(SR) * 0.03 * np.hanning(SR)
    return floor


def applause(n: int) -> np.ndarray:
    """200 decaying 5 ms clicks a second for 20 s, over quiet room tone."""
    out = pink_noise(n, RNG) * 0.002
    click = np.exp(-np.arange(80) / 30)
    for at in RNG.integers(20 * SR, 40 * SR, size=200 * 20):
        out[at : at + 80] += RNG.standard_normal(80) * 0.05 * click
    return out


@pytest.mark.parametrize(
    "name,make",
    [
        ("digital silence", lambda n: np.zeros(n)),
        ("white noise", lambda n: RNG.standard_normal(n) * 0.05),
        ("pink noise", lambda n: pink_noise(n, RNG) * 0.1),
        ("pink noise stepping 10 dB up and down", lambda n: pink_noise(n, RNG) * 0.03 * np.repeat([1, 3.16, 1, 0.32, 3.16, 1, 1, 3.16, 1, 1], n // 10 + 1)[:n]),
        ("a held organ chord", lambda n: sum(note(f, n / SR, 100, 8) for f in (220.0, 277.2, 329.6)) * 0.1),
        ("a music bed (arpeggios, bass, pad, hi-hat)", lambda n: music_bed(n, RNG) * 0.1),
        ("mains hum", lambda n: sum(np.sin(2 * np.pi * 50 * k * np.arange(n) / SR) / k for k in range(1, 8)) * 0.1),
        ("bursts of white noise over pink room tone", lambda n: bursts(n, pink_noise(n, RNG) * 0.003, RNG.standard_normal)),
        ("bursts of pink noise over white room tone", lambda n: bursts(n, RNG.standard_normal(n) * 0.003, lambda k: pink_noise(k, RNG))),
        ("applause: dense clicks over room tone", applause),
    ],
)  # fmt: skip
def test_no_speech_in_noise_music_hum_or_silence(name, make):
    assert seconds_found(make(60 * SR)) == 0, name


def test_louder_noise_of_the_same_kind_is_flat_not_speech():
    evidence = speech_evidence(pink_noise(30 * SR, RNG) * np.repeat([0.01, 0.1], 15 * SR))
    loud = evidence["rise"] > 5
    assert loud.sum() > 500 and np.median(evidence["flatness"][loud]) > 0.8


@pytest.fixture(scope="module")
def speaker():
    if not (FIXTURES / "timing" / "timit").is_dir():
        pytest.skip("TIMIT word times not in the shared fixtures")
    return timit_speakers(FIXTURES)[3]  # dr2-marc0: silero loses 40 % of his words under 10 dB noise


@pytest.mark.parametrize("snr_db,recall", [(10, 0.97), (5, 0.9)])
def test_speech_from_0_s_under_loud_noise_is_found(speaker, snr_db, recall):
    name, speech, words = speaker
    noise = pink_noise(len(speech), RNG) * np.sqrt(active_power(speech, words) / 10 ** (snr_db / 10))
    found = detect_speech((speech + noise) * 0.25)
    assert found[0][0] <= 0.05, found[:2]
    inside = [any(a - 0.1 <= (w["start"] + w["end"]) / 2 <= b + 0.1 for a, b in found) for w in words]
    assert np.mean(inside) >= recall, (name, json.dumps(found))
    pauses = sum(end - start for start, end in found) - sum(w["end"] - w["start"] for w in words)
    assert pauses < 0.25 * (words[-1]["end"] - words[0]["start"])  # the stretches follow the words
