"""Shot cuts: scdet's log parsed, and cue edges snapped to cuts on hand-made cues and cuts."""

from __future__ import annotations

import pytest

from project import subtitle_style
from shots import parse_cuts
from subtitles_workflow.cue_timing import snap_to_cuts
from subtitles_workflow.cues import Cue, Style

STYLE = Style(**subtitle_style(fps=25.0))  # 12 frames = 0.48 s, the minimum gap (2 frames) = 0.08 s
FRAME = 1 / 25


def cue(start: float, end: float) -> Cue:
    return Cue(start=start, end=end, lines=["text"])


def edges(cues: list[Cue]) -> list[tuple[float, float]]:
    return [(c.start, c.end) for c in cues]


def test_parse_cuts_reads_scdet_lines_in_order_without_repeats():
    log = (
        "[scdet @ 0x1] lavfi.scd.score: 85.541, lavfi.scd.time: 10.2614\n"
        "frame=  10 fps=0.0 q=-0.0 size=N/A\n"
        "[scdet @ 0x1] lavfi.scd.score: 30.000, lavfi.scd.time: 5.08842\n"
        "[scdet @ 0x1] lavfi.scd.score: 30.000, lavfi.scd.time: 5.08842\n"
    )
    assert parse_cuts(log) == [5.088, 10.261]
    assert parse_cuts("no cuts here") == []


@pytest.mark.parametrize("offset_frames", [-12, -5, 0, 5, 12])
def test_start_within_12_frames_of_a_cut_moves_onto_it(offset_frames):
    cut = 10.0
    [snapped] = snap_to_cuts([cue(cut + offset_frames * FRAME, 14.0)], [cut], STYLE)
    assert snapped.start == cut


@pytest.mark.parametrize("offset_frames", [-12, -3, 1, 5, 12])
def test_end_within_12_frames_of_a_cut_ends_the_minimum_gap_before_it(offset_frames):
    cut = 10.0
    [snapped] = snap_to_cuts([cue(6.0, round(cut + offset_frames * FRAME, 3))], [cut], STYLE)
    assert snapped.end == pytest.approx(cut - STYLE.min_gap)


@pytest.mark.parametrize("offset_frames", [-14, 13, 20])
def test_edges_beyond_12_frames_stay(offset_frames):
    cut = 10.0
    start_near = cue(round(cut + offset_frames * FRAME, 3), 14.0)
    end_near = cue(6.0, round(cut + offset_frames * FRAME, 3))
    assert edges(snap_to_cuts([start_near], [cut], STYLE)) == edges([start_near])
    assert edges(snap_to_cuts([end_near], [cut], STYLE)) == edges([end_near])


def test_no_cuts_changes_nothing():
    cues = [cue(1.0, 2.0), cue(3.0, 4.0)]
    assert snap_to_cuts(cues, [], STYLE) == cues


def test_cut_between_two_close_cues_keeps_the_minimum_gap():
    # The first ends 0.2 s after the cut, the second starts 0.2 s after it.
    cues = [cue(6.0, 10.2), cue(10.28, 12.0)]
    first, second = snap_to_cuts(cues, [10.0], STYLE)
    assert first.end == pytest.approx(10.0 - STYLE.min_gap)
    assert second.start == 10.0
    assert second.start - first.end >= STYLE.min_gap - 1e-9


def test_start_never_moves_into_the_cue_before():
    # The cut is 0.1 s before the second cue, but the first cue ends after the cut and cannot
    # move to before it (it would get shorter than the minimum duration).
    cues = [cue(9.5, 10.32), cue(10.4, 12.0)]
    first, second = snap_to_cuts(cues, [10.3], STYLE)
    assert (first.start, first.end) == (9.5, 10.32)
    assert second.start == 10.4
    assert second.start - first.end >= STYLE.min_gap - 1e-9


def test_end_never_moves_into_the_cue_after():
    # The cut is 0.3 s after the first cue's end; the next cue starts 0.1 s after that end,
    # so ending 2 frames before the cut would overlap it.
    cues = [cue(6.0, 10.0), cue(10.1, 12.0)]
    first, second = snap_to_cuts(cues, [10.3, 11.0], STYLE)
    assert first.end == 10.0
    assert second.start - first.end >= STYLE.min_gap - 1e-9


def test_snapping_never_makes_a_cue_shorter_than_the_minimum_duration():
    # 1.0 s long; both edges near cuts would leave 0.6 s, under the minimum (0.833 s).
    [snapped] = snap_to_cuts([cue(10.0, 11.0)], [10.3, 10.9], STYLE)
    assert snapped.end - snapped.start >= STYLE.min_duration - 1e-9


def test_a_cue_already_shorter_than_the_minimum_gets_no_shorter():
    [snapped] = snap_to_cuts([cue(10.0, 10.5)], [10.45], STYLE)
    assert snapped.end - snapped.start >= 0.5 - 1e-9


def test_snapping_never_makes_a_cue_longer_than_the_maximum_duration():
    [snapped] = snap_to_cuts([cue(10.0, 17.0)], [9.6, 17.4], STYLE)
    assert snapped.end - snapped.start <= STYLE.max_duration + 1e-9


def test_the_nearest_cut_wins():
    [snapped] = snap_to_cuts([cue(10.1, 14.0)], [9.8, 10.0], STYLE)
    assert snapped.start == 10.0


def test_qc_accepts_a_start_snapped_onto_a_cut_before_the_speech():
    from subtitles_workflow.cues import Word
    from subtitles_workflow.subtitle_qc import quality_report

    # Speech from 10.3 s; the cue starts on the cut at 10.0 s (0.3 s early, 7.5 frames).
    spoken = cue(10.0, 12.0)
    spoken.words = (Word("Hello", 10.3, 11.5),)
    regions = [[10.3, 11.5]]
    assert quality_report([spoken], STYLE, speech_regions=regions)["counts"]["off_speech"] == 1
    assert quality_report([spoken], STYLE, speech_regions=regions, cuts=[10.0])["counts"]["off_speech"] == 0


def test_detect_cuts_finds_the_cut_of_a_made_up_clip(tmp_path):
    import subprocess

    from shots import detect_cuts, video_fps

    # 1 s of red, then 1 s of blue, at 25 fps: one cut at 1.0 s.
    clip = tmp_path / "two_shots.mp4"
    source = "color=c=red:s=160x90:r=25:d=1[a];color=c=blue:s=160x90:r=25:d=1[b];[a][b]concat=n=2:v=1"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-filter_complex", source, "-pix_fmt", "yuv420p", str(clip)], check=True)
    assert video_fps(clip) == 25.0
    assert detect_cuts(clip, threshold=10) == [1.0]
