"""The media probe behind the plan (rules/common/media.smk): films are described in batches by
one ffmpeg process; what it records must be what ffprobe says of each film alone (video or not,
cover art not counting, the exact r_frame_rate), bad files included."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import copy_project, fixture, requires_fixtures, snakemake

pytestmark = [requires_fixtures]


def ffprobe_facts(path) -> dict:
    """What the workflow recorded before batches: one ffprobe per film."""
    cmd = ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "--", str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return {"video": True, "fps": None}
    for stream in json.loads(done.stdout or "{}").get("streams", []):
        if stream.get("codec_type") != "video" or (stream.get("disposition") or {}).get("attached_pic"):
            continue
        num, _, den = stream.get("r_frame_rate", "0/0").partition("/")
        fps = float(num) / float(den) if den and float(den) else None
        return {"video": True, "fps": round(fps, 3) if fps else None}
    return {"video": False, "fps": None}


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
        expected = ffprobe_facts(film) if film.suffix != ".flac" else {"video": False, "fps": None}
        assert {"video": facts["video"], "fps": facts["fps"]} == expected, film.name
    assert recorded["in/ntsc.mp4"]["fps"] == 23.976 and recorded["in/cover_art.mp4"]["video"] is False
    assert recorded["in/broken.mp4"] == {**recorded["in/broken.mp4"], "video": True, "fps": None}
