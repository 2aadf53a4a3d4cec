"""The QC on a real build: a film whose picture ends before its speech gets no cue after the
picture, and the QC notes what it cut, with the edge and the offset."""

from __future__ import annotations

import json
import subprocess

import pysrt

from conftest import copy_project, snakemake


def test_no_cue_outlasts_the_picture_and_the_cut_is_noted(tmp_path):
    work = copy_project(tmp_path / "project")
    speech = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(speech), "Hello there. How are you today, my friend?"], check=True)
    film = work / "in" / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=2",
         "-i", str(speech), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(film)],
        check=True,
    )  # fmt: skip
    snakemake(work, "out/clip.en.srt")
    cues = pysrt.open(str(work / "out" / "clip.en.srt"))
    assert cues and cues[-1].end.ordinal <= 2000, [(c.start, c.end, c.text) for c in cues]
    qc = json.loads((work / "work" / "qc" / "clip.en.srt.json").read_text())
    notes = [v for v in qc["violations"] if v["kind"] == "past_end"]
    assert notes and all(v["edge"] == "end" and v["offset_s"] > 0 for v in notes), qc["violations"]
