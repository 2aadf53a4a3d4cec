"""Speech coverage (scripts/subtitles_workflow/coverage.py) and how the QC counts it
(subtitles_workflow/subtitle_qc.py quality_report): every stretch of speech is under a cue or flagged,
with its span; a build that loses speech never counts fewer problems than one that keeps it."""

from __future__ import annotations

import json

import pytest

from project import subtitle_style
from subtitles import main
from subtitles_workflow.cues import Cue, Style
from subtitles_workflow.subtitle_qc import qc_summary, quality_report
from subtitles_workflow.coverage import (
    MIN_STRETCH_S,
    TOLERANCE_S,
    coverage_report,
    coverage_warning,
    merged,
    subtract,
    uncovered_stretches,
)
from subtitles_workflow.transcript import SCHEMA

STYLE = Style(**subtitle_style())


def cue(start: float, end: float, text: str = "words") -> Cue:
    return Cue(start, end, [text])


def test_spans_join_and_cut():
    assert merged([[5, 6], [0, 2], [1, 3], [3, 4], [7, 7]]) == [(0, 4), (5, 6)]
    assert subtract([(0, 10)], [(2, 3), (5, 6)]) == [(0, 2), (3, 5), (6, 10)]
    assert subtract([(0, 2), (4, 6)], [(1, 5)]) == [(0, 1), (5, 6)]
    assert subtract([(0, 1)], []) == [(0, 1)]


def test_speech_between_two_cues_is_one_stretch_with_its_span():
    stretches = uncovered_stretches([(0.0, 10.0)], [(0.2, 3.0), (6.0, 10.0)])
    assert [(round(s["start"], 2), round(s["end"], 2), round(s["seconds"], 2)) for s in stretches] == [
        (3.0 + TOLERANCE_S, 6.0 - TOLERANCE_S, 3.0 - 2 * TOLERANCE_S)
    ]


def test_a_cue_between_two_pieces_keeps_them_apart_and_a_pause_does_not():
    speech = [(20.0, 20.8), (21.5, 22.3)]
    joined = uncovered_stretches(speech, [])
    assert len(joined) == 1 and joined[0]["seconds"] == pytest.approx(1.6)
    apart = uncovered_stretches(speech, [(20.9 + TOLERANCE_S, 21.4 - TOLERANCE_S + 0.3)])
    assert len(apart) == 2


def transcript(signal=None, silero=None, dropped=None) -> dict:
    document = {"schema": SCHEMA, "segments": []}
    if signal is not None:
        document["signal_speech"] = signal
    if silero is not None:
        document["speech_regions"] = silero
    if dropped is not None:
        document["dropped_segments"] = dropped
    return document


def test_coverage_fields_and_one_violation_per_stretch():
    # 60 s of speech; cues over all of it but 30.5-49.5 s (the tiny.en variant of issue 28)
    report = coverage_report(transcript(signal=[[0.0, 60.0]]), [(0.0, 30.5), (49.5, 60.0)])
    assert report["speech_s"] == 60.0
    assert report["uncovered_speech_s"] == pytest.approx(19.0 - 2 * TOLERANCE_S)
    assert report["speech_covered_share"] == pytest.approx(1 - report["uncovered_speech_s"] / 60, abs=1e-4)
    [violation] = [v for v in report["violations"] if v["kind"] == "uncovered_speech"]
    assert violation["start"] == pytest.approx(30.5 + TOLERANCE_S) and violation["end"] == pytest.approx(49.5 - TOLERANCE_S)
    assert violation["seconds"] == report["uncovered_speech_s"] and violation["cue"] is None


def test_short_leftovers_and_speech_near_a_cue_are_not_flagged():
    report = coverage_report(transcript(signal=[[0.0, 2.0], [2.9, 3.4], [10.0, 10.2]]), [(0.1, 2.2)])
    assert report["uncovered_speech_s"] == 0 and report["speech_covered_share"] == 1.0
    assert not [v for v in report["violations"] if v["kind"] == "uncovered_speech"]
    assert MIN_STRETCH_S == 1.0


def test_silero_regions_count_as_speech_too_in_either_shape():
    report = coverage_report(transcript(signal=[[0.0, 1.0]], silero=[{"start": 5.0, "end": 8.0}]), [(0.0, 1.0)])
    assert report["speech_sources"] == ["signal", "silero"] and report["speech_s"] == 4.0
    assert report["uncovered_speech_s"] == pytest.approx(3.0)
    assert coverage_report(transcript(silero=[[0.0, 3.0]]), [])["uncovered_speech_s"] == 3.0


def test_nothing_to_measure_without_speech_regions_and_full_share_without_speech():
    assert coverage_report(transcript(), [(0.0, 1.0)]) is None
    report = coverage_report(transcript(signal=[]), [])
    assert report["speech_s"] == 0 and report["speech_covered_share"] == 1.0 and report["uncovered_speech_s"] == 0


def test_dropped_segments_are_listed_with_their_reason_and_mark_the_speech_they_leave():
    dropped = [{"start": 30.0, "end": 40.0, "text": "आज ही बात करेंगे।", "reason": "echoes the prompt"}]
    report = coverage_report(transcript(signal=[[0.0, 40.0]], dropped=dropped), [(0.0, 30.0)])
    [stretch] = [v for v in report["violations"] if v["kind"] == "uncovered_speech"]
    assert stretch["dropped"] == ["echoes the prompt"] and "echoes the prompt" in stretch["text"]
    [note] = [v for v in report["violations"] if v["kind"] == "dropped_segment"]
    assert (note["start"], note["end"], note["reason"]) == (30.0, 40.0, "echoes the prompt")
    assert report["speech_dropped_s"] == pytest.approx(10.0 - TOLERANCE_S)
    assert report["speech_covered_or_dropped_share"] == 1.0
    assert report["speech_covered_share"] < 0.8


def test_the_qc_counts_uncovered_speech_as_a_viewer_problem():
    """A build that lost a third of the speech never shows fewer problems than one that kept
    it (issue 28: the tiny.en variant showed 4 problems against the default's 7)."""
    speech = transcript(signal=[[0.0, 59.0]], silero=[[0.5, 30.0], [49.6, 58.8]])
    kept = [cue(t, t + 4.5) for t in range(0, 59, 5)]
    lost = [c for c in kept if not 30 <= c.start < 49]
    full = quality_report(kept, STYLE, "en", transcript=speech)
    partial = quality_report(lost, STYLE, "en", transcript=speech)
    assert full["counts"]["uncovered_speech"] == 0 and full["uncovered_speech_s"] == 0
    assert partial["counts"]["uncovered_speech"] == 1
    assert partial["uncovered_speech_s"] > 15 and partial["speech_covered_share"] < 0.75
    assert partial["problems"] > full["problems"]
    assert partial["viewer_problems"] == full["viewer_problems"] + 1
    assert "uncovered_speech 1" in qc_summary(__import__("pathlib").Path("talk.en.srt"), partial)


def test_qc_without_a_transcript_has_no_coverage_fields():
    report = quality_report([cue(0.0, 2.0)], STYLE, "en")
    assert "uncovered_speech_s" not in report and report["counts"]["uncovered_speech"] == 0


def test_warning_line_names_the_film_the_seconds_and_the_stretches():
    report = coverage_report(
        transcript(signal=[[0.0, 100.0]]), [(0.0, 30.2), (49.8, 60.0), (62.0, 80.0), (82.0, 100.0)]
    )
    line = coverage_warning("talk", report)
    assert line == "talk: 21.8 s of speech under no cue (3 stretches: 30.5-49.5 s, 60.3-61.7 s, 80.3-81.7 s)"
    assert coverage_warning("talk", coverage_report(transcript(signal=[[0.0, 5.0]]), [(0.0, 5.0)])) is None


def test_subtitles_stage_writes_the_fields_and_one_warning_line(tmp_path, capsys):
    document = {
        "schema": SCHEMA, "audio": "talk.wav", "duration": 20.0, "language": "en", "source_language": "en",
        "language_probability": 1.0, "requested_language": "en", "model": {}, "params": {},
        "segments": [{"id": 1, "start": 0.0, "end": 2.0, "text": "Hello there.", "words": [
            {"word": "Hello", "start": 0.0, "end": 0.8, "probability": 0.9},
            {"word": "there.", "start": 0.9, "end": 1.8, "probability": 0.9}]}],
        "speech_regions": [[0.0, 1.8]], "signal_speech": [[0.0, 1.8], [5.0, 12.0]], "dropped_segments": [],
    }  # fmt: skip
    path = tmp_path / "talk.json"
    path.write_text(json.dumps(document))
    qc = tmp_path / "talk.en.srt.json"
    main(["--transcript", str(path), "--output", str(tmp_path / "talk.en.srt"), "--format", "srt",
          "--style", json.dumps(subtitle_style()), "--qc", str(qc)])  # fmt: skip
    report = json.loads(qc.read_text())
    assert report["uncovered_speech_s"] == 7.0 and report["speech_covered_share"] == pytest.approx(1 - 7.0 / 8.8, abs=1e-4)
    assert report["counts"]["uncovered_speech"] == 1
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert warnings == ["warning: talk: 7.0 s of speech under no cue (1 stretch: 5.0-12.0 s)"]


def test_report_timeline_marks_uncovered_speech_and_dropped_windows():
    import report

    violations = [
        {"cue": 3, "kind": "gap", "start": 1.0, "text": "x"},
        {"cue": None, "kind": "loops", "start": 2.0, "text": "la la la"},
        {"cue": None, "kind": "uncovered_speech", "start": 30.5, "end": 49.5, "seconds": 19.0},
        {"cue": None, "kind": "dropped_segment", "start": 35.0, "end": 40.0, "reason": "echoes the prompt"},
    ]
    assert report.flagged_spans(violations) == [(30.5, 49.5, "uncovered_speech"), (35.0, 40.0, "dropped_segment")]
    assert set(report.SPAN_KINDS) == {"uncovered_speech", "dropped_segment"}


def test_a_stretch_names_the_text_decoded_there_that_no_cue_shows():
    document = transcript(signal=[[0.0, 10.0]])
    document["segments"] = [{"start": 0.0, "end": 4.0, "text": "Shown."}, {"start": 5.0, "end": 9.0, "text": "۔۔۔ ۔ 。 ۔。"}]
    report = coverage_report(document, [(0.0, 4.0)])
    [stretch] = [v for v in report["violations"] if v["kind"] == "uncovered_speech"]
    assert stretch["decoded"] == ["۔۔۔ ۔ 。 ۔。"]
