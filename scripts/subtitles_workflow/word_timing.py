"""Word times from the signal: move each Whisper word's start and end to where its speech
really starts and ends, using silero's frame-level speech probabilities and the short-time
energy of the 16 kHz audio. Needs numpy and faster-whisper (env asr).

Whisper's word timestamps come from cross-attention and give the pause before a word to that
word: a line after a pause starts on screen up to a second before anyone speaks. stable-ts's
suppress_silence fixes starts the same way (a loudness mask, word edges moved out of
non-speech), but its mask is coarse and quantised, so quiet word endings (fricatives, releases,
decays) count as silence and it clips word ends; and it moves an edge whenever any non-speech
overlaps it. Here the mask is 10 ms energy frames against a noise floor measured where silero
hears no speech, gated by silero (mic thumps and noise are not speech), with closures inside a
word (stops, < 0.1 s) filled; an edge only moves to the boundary of a pause bigger than that,
ends keep 20 ms of decay, and no edge moves into a neighbouring word's half. Between words
spoken without a pause, where no edge can be heard, the boundary moves to the quietest 10 ms
near Whisper's (words join where the voice dips).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from subtitles_workflow.frames import HOP_S, SAMPLE_RATE, WINDOW_S, fft_size, fill_short_runs, frame_power_spectra, runs
from subtitles_workflow.speech import VAD_FRAME, frame_count, frame_probabilities, frames_from_json, read_wav, wav_seconds

LOW_CUT_HZ = 120.0  # below: hum and mic thumps, which carry no speech onsets
FILL_HOLES_S = 0.1  # quieter gaps shorter than this are inside speech (stop closures)
DROP_BLIPS_S = 0.03  # louder moments shorter than this are clicks
VAD_REACH_S = 0.2  # energy counts as speech only this close to where silero hears speech
VAD_SPEECH, VAD_QUIET = 0.5, 0.2  # silero probabilities for "speech" and "surely not speech"
RISE_DB = 5.0  # a frame is speech when this much above the noise floor ...
RISE_SHARE = 0.3  # ... or this share of the way from the floor to the speech level, if more
END_PAD_S = 0.02  # a word's last frame ends here: decays fade under the threshold
# Whisper's times lead the audio, rarely lag it (TIMIT, MFA: inner word starts and ends
# 0.05-0.07 s early on median): an edge moves earlier only this far, and a boundary between
# two words spoken without a pause is looked for from 0.02 s before it to 0.12 s after.
MAX_EARLIER_S = 0.1
JOINED_SEARCH_S = (-0.02, 0.12)
CHUNK_S = 600.0  # audio read and analysed 10 min at a time
log = logging.getLogger("stage")


@dataclass(frozen=True)
class EdgeLimits:
    """How far the refinement moves a word edge (config timing; these constants by default)."""

    end_pad_s: float = END_PAD_S
    max_earlier_s: float = MAX_EARLIER_S

    @classmethod
    def from_mapping(cls, options: dict[str, Any]) -> EdgeLimits:
        return cls(**{f.name: float(options[f.name]) for f in fields(cls) if f.name in options})


# --------------------------------------------------------------------------- features
def frame_energy_db(samples: np.ndarray, hop_s: float = HOP_S, window_s: float = WINDOW_S) -> np.ndarray:
    """Energy in dB of Hann-windowed frames centred every `hop_s`, above LOW_CUT_HZ."""
    size = fft_size(window_s)
    low_bin = int(LOW_CUT_HZ * size / SAMPLE_RATE) + 1
    energies = [power[:, low_bin:].sum(axis=1) / size for power in frame_power_spectra(samples, hop_s, window_s)]
    return 10.0 * np.log10(np.concatenate(energies or [np.zeros(0)]).astype(np.float64) + 1e-10)


def on_hops(values: np.ndarray, frame_s: float, count: int, hop_s: float = HOP_S) -> np.ndarray:
    """Per-frame `values` (frames of `frame_s`) read at `count` hops of `hop_s`."""
    if len(values) == 0:
        return np.zeros(count, dtype=np.float32)
    index = np.minimum((np.arange(count) * hop_s / frame_s).astype(int), len(values) - 1)
    return values[index]


def speech_mask(energy_db: np.ndarray, vad_prob: np.ndarray, hop_s: float = HOP_S) -> np.ndarray:
    """True on hops that carry speech: loud enough over the noise floor, near where silero
    hears speech, short closures filled and clicks dropped. `vad_prob` is per hop."""
    if len(energy_db) == 0:
        return np.zeros(0, dtype=bool)
    quiet, loud = energy_db[vad_prob < VAD_QUIET], energy_db[vad_prob >= VAD_SPEECH]
    floor = float(np.median(quiet)) if len(quiet) >= 20 else float(np.percentile(energy_db, 10))
    level = float(np.percentile(loud, 90)) if len(loud) >= 10 else float(np.percentile(energy_db, 95))
    threshold = floor + max(RISE_DB, RISE_SHARE * (level - floor))
    log.debug(
        "speech mask: noise floor %.1f dB (%s), speech level %.1f dB, speech above %.1f dB", floor,
        "where silero hears none" if len(quiet) >= 20 else "10th percentile: too little non-speech", level, threshold,
    )  # fmt: skip
    reach = round(VAD_REACH_S / hop_s)
    near_speech = np.convolve((vad_prob >= VAD_SPEECH).astype(float), np.ones(2 * reach + 1), mode="same") > 0
    mask = (energy_db > threshold) & near_speech
    mask = fill_short_runs(mask, False, round(FILL_HOLES_S / hop_s))
    return fill_short_runs(mask, True, round(DROP_BLIPS_S / hop_s))


# ------------------------------------------------------------------------- refinement
def refine_word_times(
    starts: list[float], ends: list[float], mask: np.ndarray, hop_s: float = HOP_S, offset: float = 0.0,
    limits: EdgeLimits | None = None,
) -> tuple[list[float], list[float]]:  # fmt: skip
    """Each word's start moved to the onset of its speech and its end to where it stops.

    `mask` is the speech mask of hops of `hop_s` from `offset` seconds; `starts`/`ends` are
    the Whisper times, in order. A word's speech is the speech runs overlapping its Whisper
    span (less the neighbours' tails and heads); its start moves to the first run's start
    unless that run already began before the previous word's middle (the two are spoken as
    one: no pause to find), its end likewise toward the next word's middle. Words where no
    speech is heard keep their times. `limits`: how far an edge may move earlier, and the
    decay an end keeps (config timing)."""
    limits = limits or EdgeLimits()
    spoken = runs(mask)
    run_starts = np.array([offset + a * hop_s for a, _ in spoken])
    run_ends = np.array([offset + (b - 1) * hop_s for _, b in spoken])  # the last speech frame's centre
    new_starts, new_ends = list(starts), list(ends)
    for i, (start, end) in enumerate(zip(starts, ends)):
        low = (starts[i - 1] + ends[i - 1]) / 2 if i > 0 else offset
        high = (starts[i + 1] + ends[i + 1]) / 2 if i + 1 < len(starts) else offset + len(mask) * hop_s
        own = list(np.flatnonzero((run_starts < end) & (run_ends > start))) if len(spoken) else []
        # A run already going when this word begins is the previous word's tail (Whisper gave
        # this word the pause after it); one going on past its end is the next word's head.
        while len(own) > 1 and run_starts[own[0]] < start:
            own.pop(0)
        while len(own) > 1 and run_ends[own[-1]] > end:
            own.pop()
        if not own:
            continue
        first, last = run_starts[own[0]], run_ends[own[-1]]
        if first >= low:
            new_starts[i] = max(first, start - limits.max_earlier_s)
        if last <= high:
            new_ends[i] = min(max(last + limits.end_pad_s, end - limits.max_earlier_s), high)
        if new_ends[i] - new_starts[i] < hop_s:  # nothing sensible left: keep Whisper's
            new_starts[i], new_ends[i] = start, end
    for i in range(1, len(new_starts)):  # never overlap: meet halfway where they would
        if new_starts[i] < new_ends[i - 1]:
            new_starts[i] = new_ends[i - 1] = (new_starts[i] + new_ends[i - 1]) / 2
    return [round(t, 3) for t in new_starts], [round(t, 3) for t in new_ends]


def snap_joined_boundaries(
    whisper_starts: list[float], whisper_ends: list[float], starts: list[float], ends: list[float],
    energy_db: np.ndarray, hop_s: float = HOP_S, offset: float = 0.0,
) -> tuple[list[float], list[float]]:
    """Boundaries between words spoken without a pause (both kept Whisper's time there) moved
    to the quietest hop near them: words join where the voice dips. Never past either word's
    middle."""
    starts, ends = list(starts), list(ends)
    smooth = np.convolve(energy_db, np.ones(3) / 3, mode="same")
    for i in range(len(starts) - 1):
        kept = ends[i] == whisper_ends[i] and starts[i + 1] == whisper_starts[i + 1]
        if not kept or starts[i + 1] - ends[i] >= 2 * hop_s:
            continue
        def hop(seconds: float) -> int:
            return round((seconds - offset) / hop_s)

        boundary = (ends[i] + starts[i + 1]) / 2
        left_middle, right_middle = (starts[i] + ends[i]) / 2, (starts[i + 1] + ends[i + 1]) / 2
        first = max(hop(boundary + JOINED_SEARCH_S[0]), hop(left_middle) + 1, 0)
        last = min(hop(boundary + JOINED_SEARCH_S[1]) + 1, hop(right_middle), len(smooth))
        if last > first:
            ends[i] = starts[i + 1] = round(offset + (first + int(np.argmin(smooth[first:last]))) * hop_s, 3)
    return starts, ends


def speech_regions_from_probabilities(
    vad_prob: np.ndarray, frame_s: float = VAD_FRAME / SAMPLE_RATE, offset: float = 0.0, min_silence_s: float = 0.1
) -> list[list[float]]:
    """[start, end] of silero's speech (probability ≥ 0.5, held down to 0.35, as silero's own
    splitter does), pauses shorter than `min_silence_s` bridged."""
    regions: list[list[float]] = []
    speaking, begin = False, 0
    for index, prob in enumerate(vad_prob):
        if not speaking and prob >= VAD_SPEECH:
            speaking, begin = True, index
        elif speaking and prob < VAD_SPEECH - 0.15:
            speaking = False
            regions.append([offset + begin * frame_s, offset + index * frame_s])
    if speaking:
        regions.append([offset + begin * frame_s, offset + len(vad_prob) * frame_s])
    bridged: list[list[float]] = []
    for region in regions:
        if bridged and region[0] - bridged[-1][1] < min_silence_s:
            bridged[-1][1] = region[1]
        else:
            bridged.append(region)
    return [[round(a, 3), round(b, 3)] for a, b in bridged]


# ------------------------------------------------------------------------- transcript
def probabilities_from_regions(regions: list[list[float]], count: int, offset: float = 0.0, hop_s: float = HOP_S) -> np.ndarray:
    """Silero's verdict read back from the speech regions it gave (1 inside, 0 outside) at
    `count` hops from `offset`: what an env without silero (align) refines against."""
    times = offset + np.arange(count) * hop_s
    # Each region covers the hops from the first at/after its start to the last before its end:
    # +1/-1 at those edges, summed (a pass per region over every hop was O(regions x hops)).
    edges = np.zeros(count + 1, dtype=np.int64)
    for start, end in regions:
        if end > start:
            np.add.at(edges, np.searchsorted(times, [start, end], side="left"), [1, -1])
    return (np.cumsum(edges[:-1]) > 0).astype(np.float32)


def refine_words(
    words: list[dict[str, Any]], audio: Path, basis: str, speech_regions: list[list[float]] | None = None,
    probabilities: np.ndarray | None = None, limits: EdgeLimits | None = None,
) -> list[list[float]]:  # fmt: skip
    """Move every word's start/end from its `basis` times (`<basis>_start`, `<basis>_end`) to
    the speech the audio holds there; returns silero's speech regions of the film. Silero's
    `probabilities` are those the asr stage measured (one per 32 ms frame from the film's
    start); without them silero runs here, and with `speech_regions` instead (env align) those
    stand in for it. Between words spoken without a pause, only Whisper's boundary is moved to
    the energy dip (Whisper's boundaries lag by a known amount; a CTC boundary is already on
    the audio). Reads the audio 10 min at a time."""
    duration = wav_seconds(audio)
    regions: list[list[float]] = []
    chunk_start = 0.0
    while chunk_start < duration:
        chunk_end = min(duration, chunk_start + CHUNK_S)
        # Words starting in this chunk; the audio read runs past it to the last one's end.
        chunk_words = [w for w in words if chunk_start <= w[f"{basis}_start"] < chunk_end]
        read_end = max([chunk_end] + [w[f"{basis}_end"] + 1.0 for w in chunk_words])
        chunk_frames = int(np.ceil((chunk_end - chunk_start) * SAMPLE_RATE / VAD_FRAME))
        silero_here = speech_regions is None and probabilities is None
        samples = read_wav(audio, chunk_start, read_end) if chunk_words or silero_here else None
        if speech_regions is None:
            if probabilities is None:
                vad_prob = frame_probabilities(samples)
            else:  # the film's frames from this chunk's start to the audio read's end
                first = round(chunk_start * SAMPLE_RATE / VAD_FRAME)
                vad_prob = probabilities[first : first + (frame_count(len(samples)) if chunk_words else chunk_frames)]
            found = speech_regions_from_probabilities(vad_prob[:chunk_frames], offset=chunk_start)
            if regions and found and found[0][0] - regions[-1][1] < 0.1:
                regions[-1][1] = found.pop(0)[1]  # speech ran across the chunk boundary
            regions += found
        if chunk_words:
            energy = frame_energy_db(samples)
            if speech_regions is None:
                hop_prob = on_hops(vad_prob, VAD_FRAME / SAMPLE_RATE, len(energy))
            else:
                hop_prob = probabilities_from_regions(speech_regions, len(energy), offset=chunk_start)
            mask = speech_mask(energy, hop_prob)
            basis_starts = [w[f"{basis}_start"] for w in chunk_words]
            basis_ends = [w[f"{basis}_end"] for w in chunk_words]
            starts, ends = refine_word_times(basis_starts, basis_ends, mask, offset=chunk_start, limits=limits)
            refined_ends = ends
            if basis == "whisper":
                starts, ends = snap_joined_boundaries(basis_starts, basis_ends, starts, ends, energy, offset=chunk_start)
            if log.isEnabledFor(logging.DEBUG):
                log_moves(chunk_words, basis, starts, ends, refined_ends, (chunk_start, chunk_end))
            for word, start, end in zip(chunk_words, starts, ends):
                word["start"], word["end"] = start, end
        chunk_start = chunk_end
    if words:
        moved = float(np.median([abs(w["start"] - w[f"{basis}_start"]) for w in words]))
        log.info("%s word times refined against the audio: %d words, starts moved %.3f s on median", basis, len(words), moved)
    return regions if speech_regions is None else speech_regions


def log_moves(
    words: list[dict[str, Any]], basis: str, starts: list[float], ends: list[float], refined_ends: list[float],
    span: tuple[float, float],
) -> None:
    """One DEBUG line per chunk: how many word edges moved from their `basis` times and how far,
    the largest move of each kind, and the boundaries snapped to an energy dip."""
    def summary(edge: str, new: list[float]) -> str:
        moves = [(t - w[f"{basis}_{edge}"], w) for t, w in zip(new, words)]
        moved = [(delta, w) for delta, w in moves if abs(delta) >= HOP_S / 2]
        if not moved:
            return f"no {edge} moved"
        delta, word = max(moved, key=lambda m: abs(m[0]))
        earlier = sum(d < 0 for d, _ in moved)
        return (
            f"{len(moved)} {edge}s moved ({earlier} earlier, {len(moved) - earlier} later; largest {delta:+.3f} s,"
            f" {word['word'].strip()!r} at {word[f'{basis}_{edge}']:.2f} s)"
        )

    snapped = sum(a != b for a, b in zip(ends, refined_ends))
    log.debug(
        "%s word times %.0f-%.0f s, %d words: %s; %s; %d boundaries between words spoken without a pause moved to"
        " an energy dip", basis, *span, len(words), summary("start", starts), summary("end", ends), snapped,
    )  # fmt: skip


def transcript_words(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for segment in document.get("segments", []) for w in segment.get("words") or []]


def widen_segments(document: dict[str, Any]) -> None:
    """Segments widened to hold their (refined) words."""
    for segment in document.get("segments", []):
        if segment.get("words"):
            segment["start"] = min(segment["start"], segment["words"][0]["start"])
            segment["end"] = max(segment["end"], segment["words"][-1]["end"])


def refine_transcript_timing(document: dict[str, Any], audio: Path, limits: EdgeLimits | None = None) -> dict[str, Any]:
    """The transcript with every word's Whisper times kept as whisper_start/whisper_end, the
    refined ones as start/end, segments widened to hold their words, and the film's speech
    regions (silero) as `speech_regions`. Silero's frame probabilities come from the
    transcript (`silero`, the asr stage's one run), and are not passed on; a transcript
    without them has silero run here."""
    document = dict(document)
    silero = document.pop("silero", None)
    words = transcript_words(document)
    for word in words:
        word.setdefault("whisper_start", word["start"])
        word.setdefault("whisper_end", word["end"])
    probabilities = frames_from_json(silero) if silero else None
    regions = refine_words(words, audio, "whisper", probabilities=probabilities, limits=limits)
    widen_segments(document)
    return {**document, "speech_regions": regions, "word_timing": "signal"}


def refine_aligned_timing(document: dict[str, Any], audio: Path) -> dict[str, Any]:
    """After CTC alignment (the align stage): the aligned times kept as ctc_start/ctc_end and
    refined against the audio as start/end, with the speech regions the asr stage measured
    standing in for silero (the align env has none). CTC places words, the signal their edges."""
    words = transcript_words(document)
    for word in words:
        word["ctc_start"], word["ctc_end"] = word["start"], word["end"]
    refine_words(words, audio, "ctc", document.get("speech_regions") or [])
    widen_segments(document)
    return {**document, "word_timing": "ctc+signal"}


def main(argv: list[str] | None = None) -> None:
    """Refine an existing transcript again (the benchmark replays this on cached transcripts)."""
    from subtitles_workflow.io import setup_logging
    from subtitles_workflow.transcript import read_transcript, write_transcript

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcript", type=Path, required=True)
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    setup_logging(False)
    document = read_transcript(args.transcript)
    for segment in document.get("segments", []):  # start again from Whisper's own times
        for word in segment.get("words") or []:
            word["start"] = word.get("whisper_start", word["start"])
            word["end"] = word.get("whisper_end", word["end"])
    write_transcript(refine_transcript_timing(document, args.audio), args.output)


if __name__ == "__main__":
    main()
