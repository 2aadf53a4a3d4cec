"""Word times refined against the signal (scripts/subtitles_workflow/word_timing.py) on synthetic audio:
voiced bursts with known onsets and offsets over a quiet noise floor, Whisper-like times that
give each word the pause before it (starts 0.3 s early), and silero's probabilities stood in
by a known speech track. Real speech against human word times is in
tests/integration/test_word_timing_reference.py."""

from __future__ import annotations

import importlib.util
import wave

import numpy as np
import pytest

import subtitles_workflow.word_timing as word_timing
from subtitles_workflow.speech import frame_probabilities
from subtitles_workflow.word_timing import (
    HOP_S,
    SAMPLE_RATE,
    fill_short_runs,
    frame_energy_db,
    on_hops,
    refine_aligned_timing,
    refine_transcript_timing,
    refine_word_times,
    snap_joined_boundaries,
    speech_mask,
    speech_regions_from_probabilities,
)

TOLERANCE_S = 0.03
END_TOLERANCE_S = 0.045  # ends lean late on purpose (END_PAD_S): a clipped word is worse


def voiced(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A vowel-like burst: harmonics of 140 Hz with a little breath noise."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12))
    return (0.15 * tone + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def synthetic_speech(spans: list[tuple[float, float]], total: float, seed: int = 1) -> np.ndarray:
    """Noise floor (-70 dB) with a voiced burst over each (start, end)."""
    rng = np.random.default_rng(seed)
    samples = (0.0003 * rng.standard_normal(round(total * SAMPLE_RATE))).astype(np.float32)
    for start, end in spans:
        first = round(start * SAMPLE_RATE)
        burst = voiced(end - start, rng)
        samples[first : first + len(burst)] += burst
    return samples


def speech_track(spans: list[tuple[float, float]], hops: int) -> np.ndarray:
    """What silero would say, per hop: 1 over speech, 0 elsewhere."""
    prob = np.zeros(hops, dtype=np.float32)
    for start, end in spans:
        prob[round(start / HOP_S) : round(end / HOP_S)] = 1.0
    return prob


def refined(spans, whisper_starts, whisper_ends, total=4.0, vad_spans=None):
    samples = synthetic_speech(spans, total)
    energy = frame_energy_db(samples)
    mask = speech_mask(energy, speech_track(vad_spans or spans, len(energy)))
    starts, ends = refine_word_times(whisper_starts, whisper_ends, mask)
    return snap_joined_boundaries(whisper_starts, whisper_ends, starts, ends, energy)


def test_energy_has_one_frame_per_hop_and_rises_over_a_burst():
    samples = synthetic_speech([(1.0, 1.5)], 2.0)
    energy = frame_energy_db(samples)
    assert len(energy) == 200
    assert energy[120] - energy[50] > 40


def test_onsets_after_pauses_move_to_where_the_speech_starts():
    spoken = [(0.50, 0.90), (1.60, 2.10), (3.20, 3.60)]
    whisper_starts = [s - 0.3 for s, _ in spoken]  # each word took the pause before it
    whisper_ends = [e - 0.05 for _, e in spoken]
    starts, ends = refined(spoken, whisper_starts, whisper_ends)
    for (start, end), new_start, new_end in zip(spoken, starts, ends):
        assert abs(new_start - start) <= TOLERANCE_S, (starts, spoken)
        assert 0 <= new_end - end <= END_TOLERANCE_S, (ends, spoken)


def test_a_word_after_a_pause_does_not_start_on_the_previous_words_tail():
    # JFK's "ask not ... what": Whisper's "not" starts in the pause before it, and "what"
    # takes the whole 1 s pause after it
    spoken = [(1.00, 1.30), (2.30, 2.60)]
    starts, _ = refined(spoken, [0.70, 1.20], [1.20, 2.65])
    assert abs(starts[1] - 2.30) <= TOLERANCE_S, starts


def test_a_word_whisper_starts_late_starts_where_its_speech_does():
    spoken = [(0.50, 0.90), (1.60, 2.10)]
    starts, _ = refined(spoken, [0.45, 1.68], [0.85, 2.05])
    assert abs(starts[1] - 1.60) <= TOLERANCE_S


def test_a_closure_inside_a_word_is_not_a_pause():
    # one word with a 60 ms stop closure in its first half
    starts, ends = refined([(1.00, 1.20), (1.26, 1.70)], [0.70], [1.65], vad_spans=[(1.0, 1.7)])
    assert abs(starts[0] - 1.00) <= TOLERANCE_S and 0 <= ends[0] - 1.70 <= END_TOLERANCE_S


def test_a_thump_in_the_pause_silero_does_not_hear_as_speech_is_ignored():
    spoken = [(0.50, 0.90), (2.00, 2.40)]
    samples = synthetic_speech(spoken + [(1.40, 1.46)], 3.0)  # a loud 60 ms knock at 1.4 s
    energy = frame_energy_db(samples)
    mask = speech_mask(energy, speech_track(spoken, len(energy)))
    starts, _ = refine_word_times([0.45, 1.30], [0.85, 2.35], mask)
    assert abs(starts[1] - 2.00) <= TOLERANCE_S


def test_words_spoken_as_one_join_where_the_voice_dips():
    # two words with no pause, a 30 ms dip between them at 2.00 s; Whisper puts the
    # boundary 0.07 s early, as it does on read speech
    spoken = [(1.50, 1.985), (2.015, 2.50)]
    starts, ends = refined(spoken, [1.20, 1.93], [1.93, 2.45], vad_spans=[(1.5, 2.5)])
    assert abs(starts[0] - 1.50) <= TOLERANCE_S
    assert abs(ends[0] - 2.00) <= TOLERANCE_S and starts[1] == ends[0]
    assert 0 <= ends[1] - 2.50 <= END_TOLERANCE_S


def test_words_where_nothing_is_heard_keep_whisper_times():
    mask = np.zeros(300, dtype=bool)
    assert refine_word_times([0.5, 1.0], [0.9, 1.4], mask) == ([0.5, 1.0], [0.9, 1.4])


def test_refined_words_never_overlap_or_cross_their_neighbours_middle():
    spoken = [(0.50, 0.90), (0.95, 1.40), (1.45, 2.00)]
    whisper_starts, whisper_ends = [0.2, 0.9, 1.4], [0.9, 1.4, 1.9]
    starts, ends = refined(spoken, whisper_starts, whisper_ends, vad_spans=[(0.5, 2.0)])
    assert all(s < e for s, e in zip(starts, ends))
    assert all(ends[i] <= starts[i + 1] for i in range(2))
    assert all((whisper_starts[i] + whisper_ends[i]) / 2 <= ends[i] for i in range(3))


def test_short_runs_are_filled_but_edges_kept():
    mask = np.array([0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0], dtype=bool)
    assert fill_short_runs(mask, False, 3).astype(int).tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
    assert fill_short_runs(mask, True, 2).astype(int).tolist() == [0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0]


def test_probabilities_map_onto_hops():
    assert on_hops(np.array([0.1, 0.9]), 0.032, 7).tolist() == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9])


def test_speech_regions_hold_through_dips_and_bridge_short_pauses():
    prob = np.array([0, 0.9, 0.4, 0.9, 0, 0, 0.8, 0.2, 0.2, 0.2, 0.2, 0.9, 0.9], dtype=np.float32)
    # 0.4 stays speech (above 0.35 once speaking); the 2-frame pause (64 ms) is bridged,
    # the 4-frame one (128 ms) is not
    assert speech_regions_from_probabilities(prob, frame_s=0.032) == [[0.032, 0.224], [0.352, 0.416]]


def test_without_silero_a_plain_energy_gate_stands_in():
    # the test interpreter has no faster-whisper, as the mlx-whisper env has none
    if importlib.util.find_spec("faster_whisper"):
        pytest.skip("faster-whisper is installed here")
    prob = frame_probabilities(synthetic_speech([(1.0, 1.5)], 2.0))
    assert prob[int(1.2 / 0.032)] == 1.0 and prob[int(0.5 / 0.032)] == 0.0


def write_wav(path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())


@pytest.mark.parametrize("chunk_s", [600.0, 1.2])  # 1.2: a chunk boundary between the words
def test_the_transcript_keeps_whisper_times_and_gains_speech_regions(tmp_path, monkeypatch, chunk_s):
    monkeypatch.setattr(word_timing, "CHUNK_S", chunk_s)
    spoken = [(0.50, 0.90), (1.60, 2.10)]
    write_wav(tmp_path / "film.wav", synthetic_speech(spoken, 3.0))

    def silero_stand_in(samples):  # 32 ms frames, 1 over the bursts (wherever the chunk starts)
        frames = np.pad(samples, (0, -len(samples) % 512)).reshape(-1, 512)
        return (np.sqrt((frames**2).mean(axis=1)) > 0.01).astype(np.float32)

    monkeypatch.setattr(word_timing, "frame_probabilities", silero_stand_in)
    document = {"segments": [{"start": 0.2, "end": 2.05, "words": [
        {"word": "Hello", "start": 0.2, "end": 0.85, "probability": 0.9},
        {"word": "there.", "start": 1.3, "end": 2.05, "probability": 0.9},
    ]}]}  # fmt: skip
    result = refine_transcript_timing(document, tmp_path / "film.wav")
    words = result["segments"][0]["words"]
    assert [(w["whisper_start"], w["whisper_end"]) for w in words] == [(0.2, 0.85), (1.3, 2.05)]
    assert abs(words[0]["start"] - 0.50) <= TOLERANCE_S and abs(words[1]["start"] - 1.60) <= TOLERANCE_S
    assert [[round(a, 1), round(b, 1)] for a, b in result["speech_regions"]] == [[0.5, 0.9], [1.6, 2.1]]
    assert result["segments"][0]["end"] >= words[-1]["end"]


def test_the_timing_stage_refines_against_the_asr_stages_silero_and_runs_none(tmp_path, monkeypatch):
    """The asr stage ran silero once and put its frame probabilities in the transcript: the
    timing stage refines against those (the same times as silero run here) and drops them."""
    from subtitles_workflow.speech import frames_to_json

    spoken = [(0.50, 0.90), (1.60, 2.10)]
    samples = synthetic_speech(spoken, 3.0)
    write_wav(tmp_path / "film.wav", samples)
    frames = np.pad(samples, (0, -len(samples) % 512)).reshape(-1, 512)
    stand_in = (np.sqrt((frames**2).mean(axis=1)) > 0.01).astype(np.float32)

    def document():
        return {"segments": [{"start": 0.2, "end": 2.05, "words": [
            {"word": "Hello", "start": 0.2, "end": 0.85, "probability": 0.9},
            {"word": "there.", "start": 1.3, "end": 2.05, "probability": 0.9},
        ]}]}  # fmt: skip

    monkeypatch.setattr(word_timing, "frame_probabilities", lambda chunk: stand_in[: -(-len(chunk) // 512)])
    run_here = refine_transcript_timing(document(), tmp_path / "film.wav")

    def no_silero(samples):
        raise AssertionError("the timing stage runs no silero when the transcript has its probabilities")

    monkeypatch.setattr(word_timing, "frame_probabilities", no_silero)
    measured = refine_transcript_timing({**document(), "silero": frames_to_json(stand_in)}, tmp_path / "film.wav")
    assert measured == run_here and "silero" not in measured
    wider = refine_transcript_timing({**document(), "silero": frames_to_json(stand_in)}, tmp_path / "film.wav",
                                     word_timing.EdgeLimits(end_pad_s=0.1))  # fmt: skip
    ends = [w["end"] for w in measured["segments"][0]["words"]]
    assert all(b > a for a, b in zip(ends, [w["end"] for w in wider["segments"][0]["words"]]))


def test_the_align_stage_keeps_the_refined_fields(tmp_path):
    from align import align

    document = {"language": "en", "speech_regions": [[0.5, 0.9]], "segments": [
        {"start": 0.5, "end": 0.9, "words": [{"word": "Hi", "start": 0.5, "end": 0.9, "whisper_start": 0.2, "whisper_end": 0.85}]},
    ]}  # fmt: skip
    passed = align(document, tmp_path / "film.wav", "")
    assert passed["speech_regions"] == [[0.5, 0.9]]
    assert passed["segments"][0]["words"][0]["whisper_start"] == 0.2


def test_ctc_times_are_refined_against_the_audio_with_the_asr_stages_speech_regions(tmp_path, monkeypatch):
    # The align stage's env has no silero: the speech regions the asr stage measured stand in.
    def no_silero(samples):
        raise AssertionError("silero is not in the align env")

    monkeypatch.setattr(word_timing, "frame_probabilities", no_silero)
    spoken = [(0.50, 0.90), (1.60, 2.10)]
    write_wav(tmp_path / "film.wav", synthetic_speech(spoken, 3.0))
    document = {"language": "en", "speech_regions": [[0.5, 0.9], [1.6, 2.1]], "segments": [{"start": 0.4, "end": 2.2, "words": [
        {"word": "Hello", "start": 0.44, "end": 0.80, "whisper_start": 0.2, "whisper_end": 0.85},  # CTC: 60 ms early,
        {"word": "there.", "start": 1.66, "end": 2.02, "whisper_start": 1.3, "whisper_end": 2.05},  # late, ends early
    ]}]}  # fmt: skip
    result = refine_aligned_timing(document, tmp_path / "film.wav")
    words = result["segments"][0]["words"]
    assert [(w["ctc_start"], w["ctc_end"]) for w in words] == [(0.44, 0.80), (1.66, 2.02)]
    assert [(w["whisper_start"], w["whisper_end"]) for w in words] == [(0.2, 0.85), (1.3, 2.05)]
    assert abs(words[0]["start"] - 0.50) <= TOLERANCE_S and abs(words[1]["start"] - 1.60) <= TOLERANCE_S
    assert 0 <= words[0]["end"] - 0.90 <= END_TOLERANCE_S and 0 <= words[1]["end"] - 2.10 <= END_TOLERANCE_S
    assert result["word_timing"] == "ctc+signal" and result["speech_regions"] == [[0.5, 0.9], [1.6, 2.1]]
