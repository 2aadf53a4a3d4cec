"""The asr stage's word times against human word times (a TIMIT speaker's ten sentences, from
../shared, read here and never copied): Whisper's own times give each word the pause before it;
refined against the audio, they meet the issue-15 goals. The figures over every reference set
come from bench/quality.py."""

from __future__ import annotations

import json
import statistics
import subprocess

import pytest

from conftest import PROJECT, fixture, requires_fixtures

import quality  # noqa: E402  (bench/quality.py: reference matching and cue metrics)
from project import asr_options  # noqa: E402

pytestmark = [requires_fixtures]
ASR_PYTHON = PROJECT / ".venvs" / "asr" / "bin" / "python"
MODEL = PROJECT / "resources" / "models" / "faster-whisper-base.json"


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    if not ASR_PYTHON.exists() or not MODEL.exists():
        pytest.skip("the asr env or the bundled base model is not built (make test builds them)")
    audio = fixture("timing/timit/dr1-mcpm0.wav")
    reference = quality.json_reference(fixture("timing/timit/dr1-mcpm0.words.json"))
    folder = tmp_path_factory.mktemp("word_timing")
    decoded, output = folder / "decoded.json", folder / "speaker.json"
    done = subprocess.run(
        [str(ASR_PYTHON), str(PROJECT / "scripts" / "asr.py"), "--audio", str(audio), "--output", str(decoded),
         "--model", "base", "--model-path", str(MODEL), "--language", "en", "--threads", "2",
         "--options", json.dumps(asr_options(batch_size=8))],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # the timing stage, as rules/timing.smk runs it, on the asr env
    done = subprocess.run([str(ASR_PYTHON), str(PROJECT / "scripts" / "timing.py"), "--transcript", str(decoded),
                           "--audio", str(audio), "--output", str(output)], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(output.read_text())
    return document, reference


def pre_pause_end_errors(document, reference) -> list[float]:
    """How early each word before a pause (>= 0.15 s in the reference) ends."""
    words = [w for s in document["segments"] for w in s["words"]]
    pairs = quality.match_words([w["word"] for w in words], [r.text for r in reference])
    return [
        reference[r].end - words[h]["end"]
        for h, r in pairs.items()
        if r + 1 == len(reference) or reference[r + 1].start - reference[r].end >= 0.15
    ]


def test_the_transcript_keeps_whisper_times_and_speech_regions(measured):
    document, _ = measured
    words = [w for s in document["segments"] for w in s["words"]]
    assert words and all({"whisper_start", "whisper_end", "start", "end"} <= set(w) for w in words)
    regions = document["speech_regions"]
    assert regions and all(a < b for a, b in regions)
    assert all(regions[i][1] <= regions[i + 1][0] for i in range(len(regions) - 1))
    # the ten sentences each start after a pause: at least that many regions
    assert len(regions) >= 8


def test_word_starts_meet_the_goals(measured):
    document, reference = measured
    errors = quality.word_errors(document, reference)
    assert len(errors["start_abs"]) >= 60  # most of the 80 words matched
    assert statistics.median(errors["start_abs"]) <= 0.03
    assert quality.quantile(errors["start_abs"], 0.9) <= 0.15
    assert max(errors["start_early"]) <= 0.5


def test_words_before_a_pause_do_not_end_early(measured):
    document, reference = measured
    refined = pre_pause_end_errors(document, reference)
    assert refined and max(refined) <= 0.125, sorted(refined)[-3:]


def test_cues_meet_the_goals_and_beat_whisper_times(measured):
    document, reference = measured
    before = quality.summary(quality.cue_errors(quality.whisper_times(document), reference))
    after = quality.summary(quality.cue_errors(document, reference))
    assert after["start_median"] <= 0.03 and after["start_p90"] <= 0.15
    assert after["starts_early_0.5"] == 0 and after["ends_early_0.125"] == 0
    assert after["start_p90"] < before["start_p90"]
