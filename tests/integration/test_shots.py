"""The shots stage end to end: toggling it adds exactly its jobs (films with video only), a
subtitle option never re-runs it, and on a real film cue edges near a cut sit on the cut."""

from __future__ import annotations

import json
import shutil
import subprocess

import pysrt
import pytest

from conftest import copy_project, fixture, planned_jobs, requires_fixtures, snakemake, update_config

pytestmark = [requires_fixtures]
VIDEO = "autocut_test001"
# The same film with the picture red from 3.3 s to 7.9 s: two more cuts, each within 12 frames
# of a cue edge (its first cue ends at ~3.04 s, its second starts at ~8.09 s).
BOXED = "autocut_boxed"
RED = "drawbox=color=red:t=fill:enable='between(t,3.3,7.9)',scale=640:-2"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = copy_project(tmp_path_factory.mktemp("shots") / "project")
    shutil.copy2(fixture(f"video/{VIDEO}.mp4"), work / "in" / f"{VIDEO}.mp4")
    shutil.copy2(fixture("en/jfk.flac"), work / "in" / "jfk.flac")  # audio only
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", work / "in" / f"{VIDEO}.mp4", "-vf", RED, "-c:a", "copy"]
    subprocess.run([*cmd, "-c:v", "libx264", "-preset", "ultrafast", work / "in" / f"{BOXED}.mp4"], check=True)
    update_config(work, {"shots": {"activate": False}})
    snakemake(work)
    return work


def with_shots(workdir, active: bool) -> None:
    update_config(workdir, {"shots": {"activate": active}})


def test_toggling_shots_adds_exactly_its_jobs_for_the_video_only(workdir):
    with_shots(workdir, True)
    try:
        jobs = planned_jobs(workdir)
    finally:
        with_shots(workdir, False)
    # One shots job per video (the audio-only film gets none), their subtitles and mux.
    assert jobs == {"shots_detect": 2, "subtitles_render": 2, "mux_video": 2, "all": 1}
    assert planned_jobs(workdir) == {}


def cut_edges(cues, shots) -> tuple[int, int]:
    """(edges within 12 frames of a cut, those of them not on it): a start on the cut, an end
    2 frames before it (to the millisecond)."""
    frame_ms = 1000 / shots["fps"]
    near = off = 0
    for cue in cues:
        for cut in (round(cut * 1000) for cut in shots["cuts"]):
            for edge, target in ((cue.start.ordinal, cut), (cue.end.ordinal, cut - 2 * frame_ms)):
                if abs(edge - cut) <= 12 * frame_ms:
                    near += 1
                    off += abs(edge - target) > 1
    return near, off


def test_real_run_snaps_cue_edges_near_cuts_onto_them(workdir):
    with_shots(workdir, True)
    try:
        snakemake(workdir)
        shots = {name: json.loads((workdir / "work" / "shots" / f"{name}.json").read_text()) for name in (VIDEO, BOXED)}
        cues = {name: pysrt.open(str(workdir / "out" / f"{name}.en.srt"), encoding="utf-8") for name in (VIDEO, BOXED)}
        subtitle_only = planned_jobs(workdir, f"out/{VIDEO}.mp4", "--config", "subtitles.max_line_chars=30")
        shots_option = planned_jobs(workdir, f"out/{VIDEO}.mp4", "--config", "shots.threshold=20")
    finally:
        with_shots(workdir, False)
    assert not (workdir / "work" / "shots" / "jfk.json").exists()
    # The fixture cuts from its Chinese to its English half at ~5.09 s; the boxed copy has two others.
    assert abs(shots[VIDEO]["fps"] - 23.976) < 0.01
    assert [round(cut, 1) for cut in shots[VIDEO]["cuts"]] == [5.1], shots
    assert [round(cut, 1) for cut in shots[BOXED]["cuts"]] == [3.3, 7.9], shots  # red over 5.1 s
    # A subtitle option re-runs subtitles and mux, never shots; a shots option re-runs all three.
    assert subtitle_only == {"subtitles_render": 1, "mux_video": 1}
    assert shots_option == {"shots_detect": 1, "subtitles_render": 1, "mux_video": 1}
    # The fixture's cue edges are all far from its cut; the boxed copy's two near ones snap.
    assert cut_edges(cues[VIDEO], shots[VIDEO]) == (0, 0)
    assert cut_edges(cues[BOXED], shots[BOXED]) == (2, 0), ([(c.start, c.end) for c in cues[BOXED]], shots[BOXED])
