"""Short-time frames of the 16 kHz audio the stages read: Hann-windowed power spectra every
10 ms, and runs in a per-frame mask. What word timing (subtitles_workflow/word_timing.py, the
timing stage) and the asr stage's own speech detector (subtitles_workflow/signal_speech.py)
share, so that neither stage's code holds the other's. Needs numpy.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16_000
HOP_S = 0.01  # frames every 10 ms: the refined word times' resolution
WINDOW_S = 0.025


def fft_size(window_s: float = WINDOW_S) -> int:
    """The FFT length of a frame: the window's samples rounded up to a power of two."""
    return 1 << (round(window_s * SAMPLE_RATE) - 1).bit_length()


def frame_power_spectra(samples: np.ndarray, hop_s: float = HOP_S, window_s: float = WINDOW_S, block: int = 20_000):
    """|FFT|² of Hann-windowed frames centred every `hop_s` (fft_size() points, bins of
    SAMPLE_RATE / fft_size() Hz), `block` frames at a time: bounded memory on long audio."""
    hop, window = round(hop_s * SAMPLE_RATE), round(window_s * SAMPLE_RATE)
    count = int(np.ceil(len(samples) / hop))
    padded = np.pad(samples.astype(np.float32), (window // 2, window + count * hop - len(samples)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, window)[::hop][:count]
    taper = np.hanning(window).astype(np.float32)
    for first in range(0, count, block):
        yield np.abs(np.fft.rfft(frames[first : first + block] * taper, n=fft_size(window_s), axis=1)) ** 2


def fill_short_runs(mask: np.ndarray, value: bool, shortest: int) -> np.ndarray:
    """`mask` with every inner run of `value` shorter than `shortest` frames flipped."""
    mask = mask.copy()
    edges = np.flatnonzero(np.diff(np.concatenate(([False], mask == value, [False])).astype(int)))
    for begin, end in zip(edges[::2], edges[1::2]):
        if end - begin < shortest and begin > 0 and end < len(mask):
            mask[begin:end] = not value
    return mask


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, past-last) hop of every run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(int), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]
