"""How the asr stage hands speech regions to faster-whisper: clamped to the audio piece, and
for batched decoding within one 30 s window each (past it, BatchedInferencePipeline drops the
rest of a clip) and packed up to 30 s (every clip costs a whole window). Silero's own splits
run on real speech in tests/integration/test_optional_stages.py."""

from __future__ import annotations

import wave

import numpy as np

import subtitles_workflow.speech
from subtitles_workflow.transcription import block_spans
from subtitles_workflow.speech import SAMPLE_RATE, file_speech_regions, fit_to_window, pack_into_windows, read_wav


def silent_reader(seconds: float):
    def read(start: float, end: float) -> np.ndarray:
        assert 0 <= start < end <= seconds
        return np.zeros(int((end - start) * SAMPLE_RATE), dtype=np.float32)

    return read


def test_spans_are_clamped_to_the_audio_piece():
    block = [{"start": 1.0, "end": 2.0}, {"start": 3.0, "end": 4.2186}]
    assert block_spans(block, 1.0, 3.2185) == [(0.0, 1.0), (2.0, 3.2185)]


def test_short_regions_pass_through_untouched():
    regions = [{"start": 0.5, "end": 12.0}, {"start": 14.0, "end": 44.0}]
    assert fit_to_window(silent_reader(50), regions) == regions


def test_a_long_region_is_split_at_its_pauses_then_evenly():
    def pauses(piece):  # what silero found inside the region: 0-10 s and 12-65 s of it
        assert len(piece) == 70 * SAMPLE_RATE
        return [{"start": 0.0, "end": 10.0}, {"start": 12.0, "end": 65.0}]

    fitted = fit_to_window(silent_reader(80), [{"start": 5.0, "end": 75.0}], split_at_pauses=pauses)
    assert fitted[0] == {"start": 5.0, "end": 15.0}
    assert fitted[1:] == [{"start": 17.0, "end": 43.5}, {"start": 43.5, "end": 70.0}]


def test_unbroken_speech_is_split_evenly_within_the_window():
    fitted = fit_to_window(silent_reader(80), [{"start": 5.0, "end": 75.0}], split_at_pauses=lambda piece: [])
    assert len(fitted) == 3 and fitted[0]["start"] == 5.0 and fitted[-1]["end"] == 75.0
    assert all(r["end"] - r["start"] <= 30.0 for r in fitted)


def test_regions_are_packed_up_to_the_window_but_not_across_long_pauses():
    regions = [
        {"start": 0.0, "end": 8.0},
        {"start": 8.5, "end": 20.0},
        {"start": 21.0, "end": 29.0},  # still within 30 s of 0.0
        {"start": 29.5, "end": 35.0},  # would make the window 35 s: a new one
        {"start": 40.0, "end": 45.0},  # after a 5 s pause: a new one
    ]
    assert pack_into_windows(regions) == [
        {"start": 0.0, "end": 29.0},
        {"start": 29.5, "end": 35.0},
        {"start": 40.0, "end": 45.0},
    ]
    assert regions[0] == {"start": 0.0, "end": 8.0}  # the input is left alone


def write_ramp_wav(path, seconds: int) -> np.ndarray:
    pcm = (np.arange(seconds * SAMPLE_RATE) % 20000).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes(pcm.tobytes())
    return pcm.astype(np.float32) / 32768.0


def test_a_span_of_a_wav_is_read_without_the_rest(tmp_path):
    whole = write_ramp_wav(tmp_path / "a.wav", 5)
    assert np.array_equal(read_wav(tmp_path / "a.wav"), whole)
    assert np.array_equal(read_wav(tmp_path / "a.wav", 1.5, 2.25), whole[24000:36000])
    assert len(read_wav(tmp_path / "a.wav", 4.5, 9.0)) == 8000  # clipped at the end


def test_speech_found_chunk_by_chunk_is_joined_across_chunk_boundaries(tmp_path, monkeypatch):
    write_ramp_wav(tmp_path / "a.wav", 25)
    found = iter([[{"start": 8.0, "end": 10.0}], [{"start": 0.0, "end": 3.0}, {"start": 6.0, "end": 7.0}], []])
    # silero runs once per chunk; each chunk's regions are read from its probabilities
    monkeypatch.setattr(subtitles_workflow.speech, "silero_probabilities", lambda audio: np.zeros(1, dtype=np.float32))
    monkeypatch.setattr(subtitles_workflow.speech, "regions_from_probabilities", lambda probs, length, options: next(found))
    regions = file_speech_regions(tmp_path / "a.wav", chunk=10.0)
    assert regions == [{"start": 8.0, "end": 13.0}, {"start": 16.0, "end": 17.0}]
