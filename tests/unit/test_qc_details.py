"""The QC says what is wrong and where: each flag has its edge, its offset and its measure;
a misheard-looking word is flagged on its own; a cue running past the film's end is cut there
and noted."""

from __future__ import annotations

import subprocess
from pathlib import Path

from subtitles_workflow.cue_timing import trim_to_media_end
from subtitles_workflow.cues import Cue, Style, Word
from subtitles_workflow.subtitle_qc import MIN_WORD_PROBABILITY, quality_report
from subtitles_workflow.picture import clock_seconds, picture_duration
from project import subtitle_style

STYLE = Style(**subtitle_style())


def word(text: str, start: float, end: float, probability: float = 0.95) -> Word:
    return Word(text=text, start=start, end=end, probability=probability)


def test_off_speech_says_which_edge_and_by_how_much():
    cue = Cue(1.0, 2.5, ["Hello there."], (word("Hello", 1.0, 1.4), word("there.", 1.5, 2.0)))
    report = quality_report([cue], STYLE, "en", speech_regions=[[1.6, 2.2]])
    [flag] = [v for v in report["violations"] if v["kind"] == "off_speech"]
    assert (flag["edge"], flag["offset_s"]) == ("start", 0.6)
    assert flag["measure"].startswith("start 0.600 s from the nearest speech")


def test_a_word_under_the_probability_threshold_is_flagged_alone():
    misheard = word("Zyntrax", 1.5, 2.0, probability=0.08)
    cue = Cue(1.0, 2.5, ["Hello Zyntrax."], (word("Hello", 1.0, 1.4), misheard))
    report = quality_report([cue], STYLE, "en")
    [flag] = [v for v in report["violations"] if v["kind"] == "low_confidence_word"]
    assert (flag["cue"], flag["text"], flag["start"]) == (1, "Zyntrax", 1.5)
    assert flag["measure"] == f"probability 0.08 < {MIN_WORD_PROBABILITY}"
    assert report["counts"]["low_confidence_word"] == 1


def test_a_cue_past_the_end_of_the_film_is_cut_there_and_noted():
    cues = [Cue(1.0, 2.0, ["One."]), Cue(5.5, 6.789, ["How are you?"]), Cue(6.3, 7.0, ["Gone."])]
    kept, notes = trim_to_media_end(cues, 6.17)
    assert [(c.start, c.end) for c in kept] == [(1.0, 2.0), (5.5, 6.17)]
    assert [(n["cue"], n["kind"], n["edge"], n["offset_s"]) for n in notes] == [(2, "past_end", "end", 0.619), (3, "past_end", "end", 0.83)]
    assert trim_to_media_end(cues, None) == (cues, [])


def test_the_picture_lasts_what_its_stream_declares(tmp_path):
    for container in ("mp4", "mkv"):
        film = tmp_path / f"film.{container}"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=3",
             "-f", "lavfi", "-i", "sine=duration=5", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(film)],
            check=True,
        )  # fmt: skip
        assert abs(picture_duration(film, "x", "y") - 3.0) < 0.05, container
    audio = tmp_path / "a.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(audio)], check=True)
    assert picture_duration(audio, "x", "y") is None
    assert clock_seconds("00:01:06.170000000") == 66.17 and clock_seconds(None) is None


def test_a_guessed_language_is_a_problem_the_qc_names():
    warning = "in/friday.mp4: spoken language detected as 'it' with probability 0.28 (below 0.6); decoded as 'en'"
    report = quality_report([Cue(1.0, 2.0, ["Hello."])], STYLE, "en", transcript={"segments": [], "language_warning": warning})
    assert report["counts"]["language_guessed"] == 1 and report["problems"] >= 1
    assert report["language_warning"] == warning
    assert quality_report([Cue(1.0, 2.0, ["Hello."])], STYLE, "en", transcript={"segments": []})["language_warning"] is None
