"""Audio stream choice, the check that a film is whole, and the mux command line (no shell,
language tags per track)."""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, requires_fixtures
from subtitles_workflow.io import StageError
import demux
from demux import choose_audio_stream
from mux import mux_command, parse_track

STREAMS = [
    {"codec_type": "video"},
    {"codec_type": "audio", "tags": {"language": "eng"}},
    {"codec_type": "audio", "tags": {"language": "hin"}, "disposition": {"default": 1}},
]


def test_auto_prefers_the_stream_tagged_with_the_source_language():
    assert choose_audio_stream(STREAMS, "auto", "hi") == 1
    assert choose_audio_stream(STREAMS, "auto", "en") == 0


def test_auto_falls_back_to_default_then_first():
    assert choose_audio_stream(STREAMS, "auto", "fr") == 1
    assert choose_audio_stream(STREAMS[:2], "auto", None) == 0


def test_explicit_index_is_checked():
    assert choose_audio_stream(STREAMS, "0", "hi") == 0
    with pytest.raises(StageError, match="audio_stream=5 does not exist"):
        choose_audio_stream(STREAMS, "5", None)


def test_no_audio_stream_is_a_clear_error():
    with pytest.raises(StageError, match="no audio stream"):
        choose_audio_stream([{"codec_type": "video"}], "auto", "en")


def test_parse_track_takes_the_language_from_the_file_name():
    assert parse_track("out/a=b.c.en.srt") == ("en", Path("out/a=b.c.en.srt"))
    assert parse_track("out/film.pt-BR.srt") == ("pt-BR", Path("out/film.pt-BR.srt"))
    with pytest.raises(argparse.ArgumentTypeError, match="<name>.<lang>.srt"):
        parse_track("out/film.srt")


def test_mux_command_tags_every_track_and_copies_codecs():
    tracks = [("en", Path("out/m.en.srt")), ("hi", Path("out/m.hi.srt"))]
    cmd = mux_command(Path("in/-odd $(name).mp4"), tracks, Path("out/.tmp.mkv"), ".mkv")
    assert cmd.count("-i") == 3
    assert str(Path("in/-odd $(name).mp4").absolute()) in cmd  # absolute: never read as an option
    assert ["-c:v", "copy", "-c:a", "copy", "-c:s", "srt"] == cmd[cmd.index("-c:v") : cmd.index("-c:v") + 6]
    assert "language=eng" in cmd and "language=hin" in cmd and "title=Hindi" in cmd
    mp4 = mux_command(Path("in/m.mp4"), tracks, Path("out/.tmp.mp4"), ".mp4")
    assert mp4[mp4.index("-c:s") + 1] == "mov_text"


# ---------------------------------------------------------------- truncated and damaged media
def make_film(path: Path, seconds: float = 20, audio_seconds: float | None = None, *extra: str) -> Path:
    """A small real film: a test pattern and a tone (of `audio_seconds`, default the whole film),
    in the container the extension names; `extra` goes to ffmpeg before the output."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size=160x120:rate=12:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={audio_seconds or seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", *extra, str(path)],
        check=True,
    )  # fmt: skip
    return path


def cut_in_half(path: Path) -> Path:
    """What an interrupted download or copy leaves: the first half of the bytes."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def extract(media: Path, tmp_path: Path) -> float:
    return demux.extract_audio(media, 0, tmp_path / "out" / "film.wav", demux.probe_media(media))


def no_artifact(tmp_path: Path) -> bool:
    return not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_half_downloaded_faststart_mp4_fails_naming_what_is_missing(tmp_path):
    film = cut_in_half(make_film(tmp_path / "film.mp4", 20, None, "-movflags", "+faststart"))
    expected = (
        rf"{re.escape(str(film))}: the file ends early: decoded (9|10)\.\d s of audio, its container declares 20\.0 s "
        r"\(ffmpeg: partial file\); download or copy it again$"
    )
    # the stage (what the rule runs) used to write the half it could decode as the film's wav
    with pytest.raises(StageError, match=expected):
        demux.main(["--input", str(film), "--output", str(tmp_path / "out" / "film.wav")])
    assert no_artifact(tmp_path)
    with pytest.raises(StageError, match=expected):
        extract(film, tmp_path)
    assert no_artifact(tmp_path)


def test_mkv_cut_in_half_fails(tmp_path):
    film = cut_in_half(make_film(tmp_path / "film.mkv"))
    expected = r"the file ends early: .* declares 20\.\d s \(ffmpeg: File ended prematurely\); download"
    with pytest.raises(StageError, match=expected):
        demux.main(["--input", str(film), "--output", str(tmp_path / "out" / "film.wav")])
    assert no_artifact(tmp_path)


def test_mkv_whose_audio_stream_ends_early_fails(tmp_path):
    """An intact mkv whose audio holds 6 s while its own DURATION tag declares 20 s: no ffmpeg
    warning at all, only the durations tell."""
    film = make_film(tmp_path / "film.mkv", 20, 6)
    data = film.read_bytes()
    tag = b"00:00:06.0"
    assert data.count(tag) == 1, "ffmpeg no longer writes the audio's DURATION tag as expected"
    film.write_bytes(data.replace(tag, b"00:00:20.0"))
    expected = r"audio stream 0 ends early: decoded 6\.\d s of audio, its container declares 20\.\d s; download"
    with pytest.raises(StageError, match=expected):
        demux.main(["--input", str(film), "--output", str(tmp_path / "out" / "film.wav")])
    assert no_artifact(tmp_path)
    assert demux.declared_duration(demux.probe_media(film), 0) == (pytest.approx(20, abs=0.1), "stream tag")


@pytest.mark.parametrize("extension", [".mp4", ".mkv"])
def test_audio_shorter_than_the_video_in_a_whole_film_builds(tmp_path, extension):
    """The audio's own declared duration is the reference, not the container's (the video's)."""
    film = make_film(tmp_path / f"film{extension}", 20, 6)
    info = demux.probe_media(film)
    assert float(info["format"]["duration"]) == pytest.approx(20, abs=0.1)
    assert demux.declared_duration(info, 0)[0] == pytest.approx(6, abs=0.1)
    assert extract(film, tmp_path) == pytest.approx(6, abs=0.1)
    assert (tmp_path / "out" / "film.wav").exists()


def test_declared_duration_prefers_the_stream_then_its_tag_then_the_container():
    video = {"codec_type": "video", "duration": "20.0"}
    audio = {"codec_type": "audio", "duration": "6.5", "tags": {"DURATION": "00:00:09.000000000"}}
    container = {"duration": "20.0", "start_time": "0.0"}
    assert demux.declared_duration({"streams": [video, audio], "format": container}, 0) == (6.5, "stream")
    tagged = {"codec_type": "audio", "tags": {"DURATION-eng": "01:02:03.500000000"}}
    assert demux.declared_duration({"streams": [tagged], "format": container}, 0) == (3723.5, "stream tag")
    late = {"codec_type": "audio", "start_time": "2.000000"}
    assert demux.declared_duration({"streams": [video, late], "format": container}, 0) == (18.0, "container")
    assert demux.declared_duration({"streams": [{"codec_type": "audio"}], "format": {}}, 0) is None
    assert demux.declared_duration({"streams": [audio], "format": container}, 1) is None


def test_ffmpeg_warnings_are_sorted_into_truncation_damage_and_estimates():
    found = demux.read_ffmpeg_warnings(
        "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55ebf3eef980] stream 1, offset 0x9cfef2: partial file\n"
        "Guessed Channel Layout for Input Stream #0.0 : mono\n"
        "[flac @ 0x55c8824afe80] decode_frame() failed\n"
    )
    assert found.ends_early == ["partial file"] and found.damaged == ["decode_frame() failed"]
    assert found.lines == ["stream 1, offset 0x9cfef2: partial file", "decode_frame() failed"]
    assert not found.estimated
    assert demux.read_ffmpeg_warnings("[mp3 @ 0x1] Estimating duration from bitrate, this may be inaccurate").estimated
    assert demux.read_ffmpeg_warnings("Guessed Channel Layout for Input Stream #0.0 : stereo") == demux.FfmpegFindings()


def test_tolerance_is_one_second_or_one_percent():
    none = demux.FfmpegFindings()
    assert demux.check_complete(Path("a.mp3"), 0, 10.2, (11.088, "stream"), none) is None
    assert demux.check_complete(Path("a.mp4"), 0, 196.1, (198.0, "stream"), none) is None  # 1.9 s < 1.98 s
    expected = r"^a\.mp4: audio stream 0 ends early: decoded 195\.9 s of audio, its container declares 198\.0 s; "
    with pytest.raises(StageError, match=expected):
        demux.check_complete(Path("a.mp4"), 0, 195.9, (198.0, "stream"), none)
    # a bitrate estimate is no declaration: a VBR mp3 without a Xing header is measured 20 % long
    estimated = demux.FfmpegFindings(estimated=True)
    assert demux.check_complete(Path("a.mp3"), 0, 198.0, (238.5, "stream"), estimated) is None
    # ffmpeg saying the file ends early fails whatever the numbers
    cut = demux.FfmpegFindings(ends_early=["partial file"], lines=["partial file"])
    expected = r"the file ends early: decoded 197\.9 s of audio, its container declares 198\.0 s \(ffmpeg: partial file\)"
    with pytest.raises(StageError, match=expected):
        demux.check_complete(Path("a.mp4"), 0, 197.9, (198.0, "stream"), cut)
    # damage alone, with the audio complete, builds with a warning for the log
    damaged = demux.FfmpegFindings(damaged=["corrupt"], lines=["Packet corrupt (stream = 0)"])
    assert "damaged data (corrupt)" in demux.check_complete(Path("a.ts"), 0, 198.0, (198.0, "stream"), damaged)


FIXTURE_MEDIA = sorted(
    p.relative_to(FIXTURES)
    for p in FIXTURES.rglob("*")
    if p.suffix in {".wav", ".flac", ".mp3", ".mp4", ".mov", ".mkv", ".webm"}
) if FIXTURES.is_dir() else []


@requires_fixtures
@pytest.mark.parametrize("relative", FIXTURE_MEDIA, ids=str)
def test_every_healthy_fixture_passes_the_check(tmp_path, relative):
    media = FIXTURES / relative
    decoded = extract(media, tmp_path)
    declared = demux.declared_duration(demux.probe_media(media), 0)
    assert declared is not None and abs(decoded - declared[0]) < 0.1, (decoded, declared)
