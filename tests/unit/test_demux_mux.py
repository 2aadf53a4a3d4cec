"""Audio stream choice and the mux command line (no shell, language tags per track)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from subtitles_workflow.io import StageError
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
