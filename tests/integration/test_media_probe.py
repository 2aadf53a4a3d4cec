"""The media probe behind the plan (rules/common/media.smk): films are described in batches by
one ffmpeg process; what it records must be what ffprobe says of each film alone (video or not,
cover art not counting), bad files included. The frame rate is not planned: the subtitles job
reads it from the film, and a film replaced by one of another rate still re-renders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from bench.project import private_envs, touch_build
from conftest import copy_project, fixture, planned_jobs, requires_fixtures, snakemake

pytestmark = [requires_fixtures]


def ffprobe_video(path) -> bool:
    """What the workflow recorded before batches, one ffprobe per film: a real video stream
    (unreadable files count as video, for demux to report)."""
    cmd = ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "--", str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return True
    streams = json.loads(done.stdout or "{}").get("streams", [])
    return any(s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic") for s in streams)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    work = copy_project(tmp_path_factory.mktemp("probe") / "project")
    films = work / "in"
    for name in ("autocut_test001.mp4", "autocut_test002.mov", "autocut_test003.mkv"):
        shutil.copy2(fixture(f"video/{name}"), films / name)
    shutil.copy2(fixture("en/jfk.flac"), films / "jfk.flac")
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=1"]
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x36:rate=24000/1001", *tone, "-t", "1", "-c:v", "libx264",
           "-preset", "ultrafast", "-c:a", "aac", str(films / "ntsc.mp4"))  # fmt: skip
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x36:rate=25", "-t", "1", "-c:v", "mjpeg", str(films / "pal.mkv"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=1", "-frames:v", "1", str(work / "cover.png"))
    ffmpeg(*tone, "-i", str(work / "cover.png"), "-map", "0:a", "-map", "1:v", "-c:a", "aac", "-c:v", "png",
           "-disposition:v", "attached_pic", str(films / "cover_art.mp4"))  # fmt: skip
    (films / "broken.mp4").write_text("not a film\n")  # between good films: the batch goes on after it
    (films / "empty.webm").touch()
    return work


def test_the_batched_probe_says_what_ffprobe_says_of_each_film(project):
    snakemake(project, "-n")
    cache = json.loads((project / "work" / "media-probe.json").read_text())
    recorded = {key.split("|")[1]: facts for key, facts in cache.items()}
    films = sorted((project / "in").iterdir())
    assert sorted(recorded) == [f"in/{film.name}" for film in films]
    for film in films:
        facts = recorded[f"in/{film.name}"]
        assert sorted(facts) == ["fingerprint", "video"], film.name
        assert facts["video"] is (ffprobe_video(film) if film.suffix != ".flac" else False), film.name
    assert recorded["in/ntsc.mp4"]["video"] is True and recorded["in/cover_art.mp4"]["video"] is False
    assert recorded["in/broken.mp4"]["video"] is True


def test_the_plan_runs_no_ffprobe_for_a_film_ffmpeg_reads(project, tmp_path, monkeypatch):
    """ntsc.mp4's rate (24000/1001) shows rounded in ffmpeg's dump: it used to be asked of
    ffprobe, one process per such film. Only files ffmpeg cannot open still are."""
    calls = tmp_path / "ffprobe-calls"
    wrapper = tmp_path / "bin" / "ffprobe"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {calls}\nexec {shutil.which("ffprobe")} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    (project / "work" / "media-probe.json").unlink(missing_ok=True)
    snakemake(project, "-n")
    probed = {line.rsplit("/", 1)[-1] for line in calls.read_text().splitlines()} if calls.exists() else set()
    assert probed <= {"broken.mp4", "empty.webm"}


def make_film(path, rate: str) -> None:
    """1 s of test picture at `rate` with the same tone every time (so the audio is the same)."""
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=1"]
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=64x36:rate={rate}", *tone, "-t", "1", "-c:v", "libx264",
           "-preset", "ultrafast", "-c:a", "pcm_s16le", str(path))  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One film at 25 fps, every job recorded as done (touch mode: no stage runs)."""
    root = tmp_path_factory.mktemp("rate")
    work = copy_project(root / "project", **private_envs(root))
    make_film(work / "in" / "clip.mov", "25")
    touch_build(work)
    assert planned_jobs(work) == {}
    return work


def test_touching_the_film_reruns_nothing(built):
    os.utime(built / "in" / "clip.mov")
    assert planned_jobs(built) == {}


def test_a_film_replaced_by_another_frame_rate_rerenders_its_subtitles(built):
    """The rate is read by the subtitles job, not planned: the film's fingerprint in that job's
    params is what re-runs it, even once demux has made the same audio again (an interrupted
    run) and nothing between them is stale."""
    film = built / "in" / "clip.mov"
    make_film(film, "24000/1001")
    os.utime(film, (1_000_000_000, 1_000_000_000))  # older than every artifact
    assert planned_jobs(built).get("demux_audio") == 1
    snakemake(built, "--touch", "work/demux/clip.wav")  # demux again: the same audio
    jobs = planned_jobs(built)
    assert "demux_audio" not in jobs and "asr_transcribe" not in jobs, jobs
    assert jobs.get("subtitles_render", 0) >= 1, jobs
