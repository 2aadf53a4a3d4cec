"""Speech found in the signal itself, independent of the decoder's VAD (silero): what the
coverage check (subtitles_workflow/coverage.py) measures cues against, and what the asr
stage decodes again where no window went. Needs numpy (env asr).

The frames are word timing's (subtitles_workflow/frames.py: 25 ms Hann windows every 10 ms, frame_power_spectra), each
bin's power averaged over 50 ms. Per bin of the speech band (200-4000 Hz), the noise floor is
that bin's 20th percentile over the FLOOR_SPAN_S of audio around the frame, never below white
noise at -70 dBFS (digital silence is no floor to rise above). The spectrum divided by its
floor (whitened: 1 in every bin for noise alone, at any level) must then

* rise RISE_DB over the floor on average: loud enough;
* not be flat (flatness, geometric over arithmetic mean, under MAX_FLATNESS): more of the
  same noise, however loud, stays at the flatness of noise (0.89, 1st percentile 0.84);
  speech puts harmonics and formants above the floor (median 0.39 at 10 dB SNR, 0.61 at 0);
* not hold its shape (MAX_STABILITY): music keeps its notes, the same spectral peaks 0.1 to
  0.6 s later (a music bed: 0.82 at its 1st percentile); speech moves its pitch and formants
  (median 0.18 in noise, 0.44 under music at 0 dB);

and a stretch of such frames (pauses under FILL_PAUSE_S bridged, at least MIN_SPEECH_S) must
be voiced in MIN_VOICED_SHARE of its frames (a pitch period in the 40 ms around the frame,
autocorrelation over VOICED_PEAK): bursts of another noise than the floor's (applause, a door,
traffic), which pass the first three tests, are voiced in at most 6 % of their frames; speech
at 0 dB SNR in 10 % or more.

Measured (bench/quality.py, the coverage tables): on TIMIT from 0.0 s under pink noise its
stretches hold 99.6 / 97.3 / 87.5 % of the words at 10 / 5 / 0 dB SNR, under a music bed
98.7 / 98.4 / 97.0 %; clean TIMIT 99.9 %; on 20 min each of pink noise, a music bed and
silence, and on white, brown and stepping noise, hum, a held chord, noise bursts and
applause, no speech at all.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from subtitles_workflow.frames import HOP_S, SAMPLE_RATE, WINDOW_S, fft_size, fill_short_runs, frame_power_spectra, runs

BAND_HZ = (200.0, 4000.0)
SMOOTH_S = 0.05  # each bin's power is averaged over 5 frames first: a hum's harmonics beat
FLOOR_PERCENTILE = 20.0  # of a bin's power: its noise, where speech pauses ...
FLOOR_SPAN_S = 25.0  # ... within this much audio around the frame (measured every FLOOR_STEP_S)
FLOOR_STEP_S = 5.0
# A noise bin's 20th percentile of 50 ms means is 0.59 of its mean (white noise, measured).
PERCENTILE_TO_MEAN = 0.59
# No floor below white noise at -70 dBFS: |FFT|² of a Hann-windowed frame of it, per bin.
ABSOLUTE_FLOOR = 10 ** (-70 / 10) * float(np.sum(np.hanning(round(WINDOW_S * SAMPLE_RATE)) ** 2))
RISE_DB = 1.0  # the band's whitened power over its floor (0 dB: noise alone), 50 ms mean
MAX_FLATNESS = 0.8  # whitened spectral flatness of 50 ms (noise alone, at any level: 0.89)
STABILITY_LAGS_S = (0.1, 0.2, 0.3, 0.4, 0.6)
MAX_STABILITY = 0.6
STABILITY_SMOOTH_S = 0.5
# Voice: the normalised autocorrelation of a 40 ms frame (100-2000 Hz) peaks at a pitch
# period (2.5-14 ms) over VOICED_PEAK; a stretch is speech only if VOICED_SHARE of it is voiced.
VOICE_WINDOW_S = 0.04
VOICE_BAND_HZ = (100.0, 2000.0)
PITCH_HZ = (70.0, 400.0)
VOICED_PEAK = 0.5
MIN_VOICED_SHARE = 0.1
FILL_PAUSE_S = 0.3
MIN_SPEECH_S = 0.25
CHUNK_S = 60.0  # audio read and analysed a minute at a time (under 100 MB of arrays)
log = logging.getLogger("stage")


def moving_mean(values: np.ndarray, seconds: float) -> np.ndarray:
    width = max(1, round(seconds / HOP_S))
    return np.convolve(values, np.ones(width) / width, mode="same")


def band_power(samples: np.ndarray) -> np.ndarray:
    """Power of each 10 ms frame in each bin of BAND_HZ (frames x bins)."""
    size = fft_size()
    low, high = (int(round(hz * size / SAMPLE_RATE)) for hz in BAND_HZ)
    blocks = [power[:, low:high] for power in frame_power_spectra(samples, block=2000)]
    return np.concatenate(blocks).astype(np.float64) if blocks else np.zeros((0, high - low))


def smoothed(power: np.ndarray, seconds: float = SMOOTH_S) -> np.ndarray:
    """Each bin's power averaged over `seconds` of frames around each frame."""
    width = max(1, round(seconds / HOP_S))
    padded = np.pad(power, ((width // 2, width - 1 - width // 2), (0, 0)), mode="edge")
    summed = np.concatenate([np.zeros((1, power.shape[1])), np.cumsum(padded, axis=0)])
    return np.maximum((summed[width:] - summed[:-width]) / width, 0.0)  # cumulative sums cancel to -0


def noise_floor(power: np.ndarray) -> np.ndarray:
    """Per frame and bin, the expected noise power: the bin's FLOOR_PERCENTILE over the
    FLOOR_SPAN_S around the frame (one estimate per FLOOR_STEP_S), as a mean."""
    step, half = round(FLOOR_STEP_S / HOP_S), round(FLOOR_SPAN_S / 2 / HOP_S)
    floor = np.empty_like(power)
    for first in range(0, len(power), step):
        middle = first + step // 2
        around = power[max(0, middle - half) : middle + half]
        floor[first : first + step] = np.percentile(around, FLOOR_PERCENTILE, axis=0) / PERCENTILE_TO_MEAN
    return np.maximum(floor, ABSOLUTE_FLOOR)


def stability(whitened_db: np.ndarray) -> np.ndarray:
    """Per frame, how well the (whitened, dB) spectral shape matches itself STABILITY_LAGS_S
    earlier or later, at the best lag: near 0 for noise and speech, near 1 for held notes."""
    shape = whitened_db - whitened_db.mean(axis=1, keepdims=True)
    shape /= np.sqrt((shape**2).sum(axis=1, keepdims=True)) + 1e-9
    best = np.zeros(len(shape))
    for lag in (round(seconds / HOP_S) for seconds in STABILITY_LAGS_S):
        if lag >= len(shape):
            continue
        ahead = np.zeros(len(shape))
        ahead[:-lag] = (shape[:-lag] * shape[lag:]).sum(axis=1)
        behind = np.zeros(len(shape))
        behind[lag:] = ahead[:-lag]
        best = np.maximum(best, moving_mean(np.maximum(ahead, behind), STABILITY_SMOOTH_S))
    return best


def voicing(samples: np.ndarray) -> np.ndarray:
    """Per 10 ms frame, the highest normalised autocorrelation of the 40 ms around it at a
    lag of one pitch period: near 1 for a held vowel, about 0.3 for noise."""
    size = fft_size(VOICE_WINDOW_S)
    low, high = (int(round(hz * size / SAMPLE_RATE)) for hz in VOICE_BAND_HZ)
    taper = np.hanning(round(VOICE_WINDOW_S * SAMPLE_RATE))
    taper_lags = np.correlate(taper, taper, "full")[len(taper) - 1 :]
    lags = np.arange(int(SAMPLE_RATE / PITCH_HZ[1]), int(SAMPLE_RATE / PITCH_HZ[0]) + 1)
    peaks = []
    for power in frame_power_spectra(samples, window_s=VOICE_WINDOW_S, block=500):
        band = np.zeros_like(power)
        band[:, low:high] = power[:, low:high]
        autocorrelation = np.fft.irfft(band, n=size, axis=1)
        normalised = autocorrelation[:, lags] / (autocorrelation[:, :1] + 1e-12) / (taper_lags[lags] / taper_lags[0])
        peaks.append(normalised.max(axis=1))
    return np.concatenate(peaks) if peaks else np.zeros(0)


def speech_evidence(samples: np.ndarray) -> dict[str, np.ndarray]:
    """Per 10 ms frame: `rise` (dB of the whitened band power over the floor), `flatness` and
    `stability`, and `speech`, the frames judged speech before pauses are bridged."""
    raw = band_power(samples) + 1e-12
    if len(raw) == 0:
        empty = np.zeros(0)
        return {"rise": empty, "flatness": empty, "stability": empty, "voicing": empty, "speech": empty.astype(bool)}
    power = smoothed(raw)
    floor = noise_floor(power)
    whitened = power / floor
    mean = whitened.mean(axis=1)
    rise = 10 * np.log10(np.maximum(mean, 1e-6))
    flatness = np.exp(np.log(np.maximum(whitened, 1e-12)).mean(axis=1)) / np.maximum(mean, 1e-12)
    held = stability(10 * np.log10(raw / floor))  # frame by frame: smoothing would hold shapes
    speech = (rise > RISE_DB) & (flatness < MAX_FLATNESS) & (held < MAX_STABILITY)
    return {"rise": rise, "flatness": flatness, "stability": held, "voicing": voicing(samples), "speech": speech}


def speech_stretches(evidence: dict[str, np.ndarray], offset: float = 0.0) -> list[list[float]]:
    """The frames judged speech as [start, end] seconds: pauses under FILL_PAUSE_S bridged,
    stretches under MIN_SPEECH_S or with less than MIN_VOICED_SHARE of voiced frames dropped."""
    mask = fill_short_runs(evidence["speech"], False, round(FILL_PAUSE_S / HOP_S))
    voiced = evidence["voicing"] > VOICED_PEAK
    found = []
    for first, last in runs(mask):
        if (last - first) * HOP_S >= MIN_SPEECH_S and voiced[first:last].mean() >= MIN_VOICED_SHARE:
            found.append([round(offset + first * HOP_S, 2), round(offset + last * HOP_S, 2)])
    return found


def detect_speech(samples: np.ndarray, offset: float = 0.0) -> list[list[float]]:
    """[start, end] seconds (from `offset`) of the speech in 16 kHz mono `samples`."""
    return speech_stretches(speech_evidence(samples), offset)


def file_signal_speech(path: Path, chunk: float = CHUNK_S) -> list[list[float]]:
    """detect_speech() over a 16 kHz mono WAV, `chunk` seconds at a time; speech cut by a
    chunk boundary is joined again."""
    from subtitles_workflow.speech import read_wav, wav_seconds

    duration = wav_seconds(path)
    found: list[list[float]] = []
    start = 0.0
    while start < duration:
        regions = detect_speech(read_wav(path, start, start + chunk), offset=start)
        if found and regions and regions[0][0] - found[-1][1] <= FILL_PAUSE_S:
            found[-1][1] = regions.pop(0)[1]
        found += regions
        start += chunk
    log.info("signal speech (energy over the noise floor, not silero): %d stretches, %.1f s of %.1f s",
             len(found), sum(end - begin for begin, end in found), duration)  # fmt: skip
    return found
