"""Bad input and bad requests: one clear line naming the file or target and what to do, exit
status 1, no traceback, and the rest of the batch finished."""

from __future__ import annotations

import os
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from conftest import copy_project, fixture, requires_fixtures, snakemake
from conftest import one_error_line as conftest_one_error_line

pytestmark = [requires_fixtures]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def mp3_with_cover_art(path: Path, speech: Path) -> Path:
    cover = path.with_suffix(".png")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", str(cover))
    ffmpeg("-i", str(speech), "-i", str(cover), "-map", "0:a", "-map", "1:v", "-c:v", "png",
           "-disposition:v", "attached_pic", "-t", "3", str(path))  # fmt: skip
    cover.unlink()
    return path


def mkv_with_empty_audio(path: Path) -> Path:
    """A video whose audio stream exists but holds no samples (it lasts 0 s)."""
    empty = path.with_suffix(".wav")
    with wave.open(str(empty), "wb") as silent:
        silent.setnchannels(1)
        silent.setsampwidth(2)
        silent.setframerate(16000)
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24:duration=2", "-i", str(empty),
           "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "flac", str(path))  # fmt: skip
    empty.unlink()
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    work = copy_project(tmp_path_factory.mktemp("bad") / "project")
    shutil.copy2(fixture("video/autocut_test001.mp4"), work / "in" / "demo.mp4")
    shutil.copy2(fixture("en/jfk.flac"), work / "in" / "jfk.flac")
    mp3_with_cover_art(work / "in" / "tagged.mp3", fixture("en/jfk.flac"))
    return work


def one_error_line(done: subprocess.CompletedProcess) -> str:
    """conftest's one_error_line, and no Snakemake exception named either."""
    assert "Exception" not in done.stdout + done.stderr, (done.stdout + done.stderr)[-3000:]
    return conftest_one_error_line(done)


@pytest.mark.parametrize(
    "target, message",
    [
        ("out/nofilm.en.srt", "no film named 'nofilm' in in/"),
        ("out/demo.xx.srt", "out/demo.xx.srt: unknown language code 'xx'"),
        ("out/demo.en.txt", "out/demo.en.txt: unknown subtitle format 'txt'; formats: srt, vtt, ass"),
        ("out/demo.avi", "out/demo.avi: not an artifact of this workflow"),
        ("out/demo.mkv", "out/demo.mkv: in/demo.mp4 is muxed into out/demo.mp4"),
        ("out/tagged.mkv", "out/tagged.mkv: in/tagged.mp3 has no video stream (cover art is not video)"),
        ("out/jfk.mp4", "out/jfk.mp4: in/jfk.flac has no video stream"),
    ],
)
def test_a_target_outside_the_contract_is_one_line(project, target, message):
    line = one_error_line(snakemake(project, "-n", target, check=False))
    assert message in line
    assert "nllb" not in line


def test_the_contract_targets_still_plan(project):
    done = snakemake(project, "-n", "out/demo.mp4", "out/demo.en.burned.mp4", "out/tagged.en.srt", "out/jfk.en.vtt")
    assert "mux_video" in done.stdout and "subtitles_burn" in done.stdout


def test_two_films_with_one_name_is_one_line(project):
    other = project / "in" / "jfk.mp3"
    shutil.copy2(project / "in" / "tagged.mp3", other)
    try:
        line = one_error_line(snakemake(project, "-n", check=False))
    finally:
        other.unlink()
    assert "have the same name 'jfk'" in line


def test_broken_link_and_empty_audio_fail_in_the_summary_and_the_rest_is_built(project):
    (project / "in" / "tagged.mp3").unlink()
    os.symlink("/nonexistent/film.mp4", project / "in" / "dangling.mp4")
    mkv_with_empty_audio(project / "in" / "mute.mkv")
    done = snakemake(project, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "failed:     dangling: in/dangling.mp4: broken symbolic link (to /nonexistent/film.mp4)" in output
    assert "failed:     mute: in/mute.mkv: audio stream 0 lasts 0 s (no samples)" in output
    assert "summary: 2 built, 0 up to date, 2 failed" in output, output[-3000:]
    for built in ("out/jfk.en.srt", "out/demo.en.srt", "out/demo.mp4"):
        assert (project / built).stat().st_size > 0, built
    assert not list((project / "out").glob("dangling.*")) and not list((project / "out").glob("mute.*"))
    assert not (project / "work" / "demux" / "mute.wav").exists()
    asked = snakemake(project, "out/dangling.en.srt", check=False)
    assert "broken symbolic link" in asked.stdout + asked.stderr
    assert "no film named" not in asked.stdout + asked.stderr
