"""The report's timeline helpers: the audio envelope and which cues are flagged how."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

import report
import subtitles


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16_000)
        handle.writeframes((samples * 32767).astype(np.int16).tobytes())


def test_envelope_is_the_rms_of_every_50_ms(tmp_path):
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 16_000)
    write_wav(tmp_path / "film.wav", np.concatenate([np.zeros(8000), tone]))
    envelope = report.audio_envelope(tmp_path / "film.wav")
    assert len(envelope) == 20
    assert max(envelope[:10]) < 1e-3
    assert envelope[10:] == pytest.approx([0.5 / np.sqrt(2)] * 10, abs=0.01)


def test_flags_go_to_their_cue_and_dropped_loops_to_none():
    violations = [
        {"cue": None, "kind": "loops"},
        {"cue": 2, "kind": "gap"},
        {"cue": 2, "kind": "cps_speech_too_fast"},
        {"cue": 5, "kind": "end_cut_by_next"},
    ]
    flags = report.flags_by_cue(violations)
    assert flags == {2: ["gap", "cps_speech_too_fast"], 5: ["end_cut_by_next"]}
    assert report.cue_colour(flags[2]) == report.cue_colour(["gap"]) != report.cue_colour(flags[5])
    assert report.cue_colour([]) not in (report.cue_colour(flags[2]), report.cue_colour(flags[5]))


def test_report_knows_the_same_note_kinds_as_the_qc():
    assert report.NOTE_KINDS == subtitles.NOTE_KINDS
