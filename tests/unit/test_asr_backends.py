"""The whisperx and mlx-whisper scripts (scripts/asr_whisperx.py, asr_mlx.py) on hand-made
backend results: neither backend runs here (whisperx needs a 7.6 GB CUDA stack, MLX Apple
Silicon), so stand-in modules return what the real ones return, and the scripts must turn it
into the shared transcript and say which options they cannot honour."""

from __future__ import annotations

import json
import logging
import sys
import types
import wave

import numpy as np
import pytest

import asr_mlx
import asr_whisperx
from project import asr_options
from subtitles_workflow.asr_options import AsrOptions
from subtitles_workflow.transcript import SCHEMA, read_transcript
import subtitles_workflow.other_backends as other_backends

WHISPERX_SEGMENTS = [
    {"start": 0.0, "end": 1.23456, "text": " Ask not. ",
     "words": [{"word": " Ask", "start": 0.1, "end": 0.4, "score": 0.91234}, {"word": "not.", "start": 0.5, "end": 0.9}]},
    {"start": 1.5, "end": 2.0, "text": "1961", "words": [{"word": "1961"}]},  # the aligner placed no digit
]  # fmt: skip
MLX_SEGMENTS = [
    {"start": 0.0, "end": 1.0, "text": " Ask not.", "avg_logprob": -0.123456, "no_speech_prob": 0.0123456,
     "compression_ratio": 1.23456, "words": [{"word": " Ask", "start": 0.1, "end": 0.4, "probability": 0.99999}]},
]  # fmt: skip


def test_whisperx_segments_become_transcript_segments():
    records = asr_whisperx.segment_records(WHISPERX_SEGMENTS)
    assert records[0] == {"id": 1, "start": 0.0, "end": 1.235, "text": "Ask not.",
                          "words": [{"word": "Ask", "start": 0.1, "end": 0.4, "probability": 0.9123},
                                    {"word": "not.", "start": 0.5, "end": 0.9, "probability": 1.0}]}  # fmt: skip
    assert records[1]["words"] == []


def test_mlx_segments_keep_their_scores_rounded_as_faster_whispers():
    (record,) = asr_mlx.segment_records(MLX_SEGMENTS)
    assert list(record) == ["id", "start", "end", "text", "avg_logprob", "no_speech_prob", "compression_ratio", "words"]
    assert (record["avg_logprob"], record["no_speech_prob"], record["compression_ratio"]) == (-0.1235, 0.0123, 1.235)
    assert record["words"] == [{"word": "Ask", "start": 0.1, "end": 0.4, "probability": 1.0}]


def test_whisperx_names_each_option_it_cannot_honour():
    defaults = AsrOptions.from_mapping(asr_options())
    assert set(asr_whisperx.unhonoured(defaults, 8)) == {"condition_on_previous_text"}
    sequential = AsrOptions.from_mapping(asr_options(vad_filter=False, condition_on_previous_text=False))
    assert set(asr_whisperx.unhonoured(sequential, 0)) == {"vad_filter", "batch_size"}
    assert asr_whisperx.decoder_options(AsrOptions.from_mapping(asr_options(beam_size=3, hotwords="Zyntrax"))) == {
        "beam_size": 3, "hotwords": "Zyntrax"}  # fmt: skip


def test_mlx_names_each_option_it_cannot_honour():
    defaults = AsrOptions.from_mapping(asr_options(hotwords="Zyntrax"))
    assert set(asr_mlx.unhonoured(defaults, "mps", "float16", 0)) == {"beam_size", "vad_filter", "hotwords"}
    honoured = AsrOptions.from_mapping(asr_options(beam_size=1, vad_filter=False))
    assert asr_mlx.unhonoured(honoured, "mps", "float32", 0) == {}
    assert set(asr_mlx.unhonoured(honoured, "cuda", "int8", 8)) == {"device", "compute_type", "batch_size"}
    decode = asr_mlx.decode_options(AsrOptions.from_mapping(asr_options(task="translate")), "auto", "float32")
    assert decode == {"language": None, "task": "translate", "condition_on_previous_text": True, "initial_prompt": None, "fp16": False}


@pytest.fixture
def audio(tmp_path):
    path = tmp_path / "a.wav"
    samples = (np.random.default_rng(0).normal(0, 0.1, 32000) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1), handle.setsampwidth(2), handle.setframerate(16000)
        handle.writeframes(samples.tobytes())
    return path


def arguments(audio, output, options):
    return ["--audio", str(audio), "--output", str(output), "--model", "base", "--model-path", "models/base",
            "--language", "en", "--options", json.dumps(options), "--vocabulary", '{"hotwords": "", "initial_prompt": ""}',
            "--threads", "2", "--speech-regions", "--worker", "auto"]  # fmt: skip


def run_with_stand_in(script, backend: types.ModuleType, version: str, monkeypatch, caplog, audio, output, **options):
    """The script's main on `audio`, `backend` standing in for its backend's module (`version` its
    package's): the transcript it wrote and what it logged."""
    monkeypatch.setitem(sys.modules, backend.__name__, backend)
    monkeypatch.setattr(other_backends, "version", lambda name: version)
    options = {key: value for key, value in asr_options(batch_size=0, **options).items() if key not in ("initial_prompt", "hotwords")}
    with caplog.at_level(logging.INFO, logger="stage"):
        script.main(arguments(audio, output, options))
    return read_transcript(output), caplog.text


def test_whisperx_script_end_to_end_with_a_stand_in(monkeypatch, audio, tmp_path, caplog):
    fake = types.ModuleType("whisperx")
    calls = {}
    fake.load_audio = lambda path: np.zeros(32000, dtype=np.float32)
    fake.load_model = lambda *args, **kwargs: calls.update(load=(args, kwargs)) or types.SimpleNamespace(
        transcribe=lambda samples, batch_size: calls.update(batch_size=batch_size) or {"segments": [], "language": "en"})
    fake.load_align_model = lambda **kwargs: (None, None)
    fake.align = lambda segments, *args: {"segments": WHISPERX_SEGMENTS}
    document, logged = run_with_stand_in(asr_whisperx, fake, "3.8.6", monkeypatch, caplog, audio, tmp_path / "t.json",
                                         device="cpu", compute_type="int8")  # fmt: skip
    assert document["schema"] == SCHEMA and document["model"]["backend"] == "whisperx"
    assert [s["text"] for s in document["segments"]] == ["Ask not.", "1961"]
    assert calls["batch_size"] == 8 and calls["load"][1]["asr_options"] == {"beam_size": 5}
    assert "whisperx cannot honour asr.batch_size" in logged


def test_mlx_script_end_to_end_with_a_stand_in(monkeypatch, audio, tmp_path, caplog):
    fake = types.ModuleType("mlx_whisper")
    calls = {}
    fake.transcribe = lambda path, **kwargs: calls.update(kwargs) or {"segments": MLX_SEGMENTS, "language": "en"}
    document, logged = run_with_stand_in(asr_mlx, fake, "0.4.3", monkeypatch, caplog, audio, tmp_path / "t.json",
                                         device="mps", compute_type="float16")  # fmt: skip
    assert document["model"]["backend"] == "mlx-whisper" and document["duration"] == 2.0
    assert calls["word_timestamps"] is True and calls["fp16"] is True and calls["language"] == "en"
    assert "mlx-whisper cannot honour asr.beam_size" in logged
