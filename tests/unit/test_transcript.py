"""The transcript format (scripts/subtitles_workflow/transcript.py): one builder's keys, order and rounding,
and a reader that refuses a document of another version in one line."""

from __future__ import annotations

import json

import pytest

from subtitles_workflow.io import StageError
from subtitles_workflow.transcript import (
    SCHEMA,
    TRANSLATION_SCHEMA,
    make_segment,
    make_transcript,
    make_word,
    read_transcript,
    write_transcript,
)


def test_a_word_is_stripped_and_rounded():
    assert make_word(" ask", 1.23456, 1.5, 0.987654) == {"word": "ask", "start": 1.235, "end": 1.5, "probability": 0.9877}


def test_a_segment_keeps_the_key_order_the_asr_stage_always_wrote():
    words = [make_word("Hi.", 0.0, 0.5, 0.9)]
    segment = make_segment(1, 0.0001, 0.50049, " Hi. ", words, avg_logprob=-0.123456, no_speech_prob=0.01234, compression_ratio=1.23456)
    assert list(segment) == ["id", "start", "end", "text", "avg_logprob", "no_speech_prob", "compression_ratio", "words"]
    assert segment == {"id": 1, "start": 0.0, "end": 0.5, "text": "Hi.", "avg_logprob": -0.1235, "no_speech_prob": 0.0123,
                       "compression_ratio": 1.235, "words": words}  # fmt: skip


def test_a_score_the_backend_does_not_give_is_left_out():
    assert list(make_segment(2, 0, 1, "x", [])) == ["id", "start", "end", "text", "words"]


def test_the_translate_task_writes_english_whatever_was_spoken():
    common = dict(audio="a.wav", duration=2.00049, detected_language="hi", language_probability=0.912345,
                  requested_language="auto", model={}, params={}, segments=[])  # fmt: skip
    translated = make_transcript(task="translate", **common)
    assert (translated["language"], translated["source_language"]) == ("en", "hi")
    assert translated["duration"] == 2.0 and translated["language_probability"] == 0.9123
    assert "dropped_segments" not in translated
    assert make_transcript(task="transcribe", dropped_segments=[], **common)["language"] == "hi"


def test_written_and_read_back_unchanged(tmp_path):
    document = make_transcript(audio="a.wav", duration=1, detected_language="en", language_probability=None,
                               requested_language="en", task="transcribe", model={}, params={},
                               segments=[make_segment(1, 0, 1, "Hi.", [make_word("Hi.", 0, 1, 1)])])  # fmt: skip
    write_transcript(document, tmp_path / "t.json")
    assert read_transcript(tmp_path / "t.json") == document
    assert (tmp_path / "t.json").read_text().startswith('{\n "schema": "subtitles-workflow/transcript/v1",')


def test_another_version_is_one_clear_line(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"schema": "subtitles-workflow/transcript/v0", "segments": []}))
    with pytest.raises(StageError, match="transcript schema 'subtitles-workflow/transcript/v0', this code reads"):
        read_transcript(path)
    path.write_text(json.dumps({"segments": []}))
    with pytest.raises(StageError, match="transcript schema None"):
        read_transcript(path)


def test_a_translation_is_read_only_where_asked_for(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"schema": TRANSLATION_SCHEMA, "segments": []}))
    with pytest.raises(StageError):
        read_transcript(path)
    assert read_transcript(path, (SCHEMA, TRANSLATION_SCHEMA))["segments"] == []
