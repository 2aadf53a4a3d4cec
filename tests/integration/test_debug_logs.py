"""`debug` changes logs only (issue 28, item 5): switching it on or off plans no job, and a run
with it on has DEBUG lines, the stage's own decisions, in every stage's log, the asr one
included, whether the warm ASR worker decodes or the job itself.

One short film of espeak-ng speech with every optional stage on that runs here without weights
from outside (VAD, alignment with a tiny random wav2vec2, translation with a tiny random Marian,
shots, burn-in, the QC report, a variant and its comparison): separate and diarize need real
weights or the pyannote env, which this machine has not."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT, copy_project, planned_jobs, snakemake

TOOLS = Path(__file__).resolve().parents[1] / "tools"
SPOKEN = (
    "Good morning, everyone. Today we talk about the weather in the mountains. "
    "It was cold and windy, but the view from the top was worth the climb."
)
TARGETS = ("all", "variants")
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1"}  # nothing may come from the hub
DEBUG_ON = ("--config", "debug=true")


def env_python(env: str) -> Path:
    python = PROJECT / ".venvs" / env / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{python} missing: build the envs first (snakemake envs)")
    return python


def speech_film(path: Path) -> Path:
    """A 320x240 film with the sentences above spoken by espeak-ng."""
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng not installed (scripts/install-system-deps.sh)")
    wav = path.with_suffix(".wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), SPOKEN], check=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24",
         "-i", str(wav), "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip
    wav.unlink()
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The film built with debug off (the default), every stage that runs here on."""
    root = tmp_path_factory.mktemp("debug")
    marian, wav2vec2 = root / "tiny-marian", root / "tiny-wav2vec2"
    subprocess.run([env_python("translate"), TOOLS / "make_tiny_marian.py", marian], check=True, capture_output=True)
    subprocess.run([env_python("align"), TOOLS / "make_tiny_wav2vec2.py", wav2vec2], check=True, capture_output=True)
    env_python("vad"), env_python("report")
    work = copy_project(
        root / "project",
        target_languages=["en", "fr"],
        translate={"backends": {"en-fr": "marian"}, "models": {"marian": str(marian)}},
        align={"activate": True, "models": {"en": str(wav2vec2)}},
        vad={"activate": True},
        shots={"activate": True},
        burn_in_language="source",
        qc_report=True,
        variants={"narrow": {"subtitles": {"max_line_chars": 30}}},
    )
    speech_film(work / "in" / "talk.mp4")
    snakemake(work, *TARGETS, env=OFFLINE)
    return work


# Logs the workflow's own `run:` rules write (one line each, no stage script): not stage logs.
WORKFLOW_LOGS = {"logs/variants/compare_manifest.log"}


def stage_logs(work: Path) -> dict[str, str]:
    """Every stage log under logs/: path -> text."""
    logs = {str(path.relative_to(work)): path for path in sorted((work / "logs").rglob("*.log"))}
    return {name: path.read_text(errors="replace") for name, path in logs.items() if name not in WORKFLOW_LOGS}


def without_debug_lines(logs: dict[str, str]) -> list[str]:
    return [name for name, text in logs.items() if " DEBUG " not in text]


# Every stage that runs on this film, each with the log it writes.
STAGE_LOGS = {
    "demux": "logs/demux/talk.log",
    "vad": "logs/vad/talk.log",
    "asr": "logs/asr/talk.log",
    "align": "logs/align/talk.log",
    "translate": "logs/translate/marian/talk.fr.log",
    "shots": "logs/shots/talk.log",
    "subtitles": "logs/subtitles/talk.en.srt.log",
    "variant subtitles": "logs/variants/narrow/subtitles/talk.en.srt.log",
    "burn": "logs/burn/talk.en.log",
    "mux": "logs/mux/talk.mp4.log",
    "report": "logs/report/talk.log",
    "compare": "logs/variants/compare.log",
}


def test_a_build_with_debug_off_logs_no_debug_line(built):
    logs = stage_logs(built)
    missing = [f"{stage}: {path}" for stage, path in STAGE_LOGS.items() if path not in logs]
    assert not missing, (missing, sorted(logs))
    assert [name for name, text in logs.items() if " DEBUG " in text] == []


def test_switching_debug_on_plans_nothing(built):
    assert planned_jobs(built, *TARGETS, *DEBUG_ON, env=OFFLINE) == {}


def test_with_debug_on_every_stage_logs_its_decisions_the_warm_workers_too(built):
    # Every stage again, with debug on: demux (and shots, which reads the film) and all after.
    snakemake(built, *TARGETS, "--forcerun", "demux_audio", "shots_detect", *DEBUG_ON, env=OFFLINE)
    logs = stage_logs(built)
    assert set(STAGE_LOGS.values()) <= set(logs), sorted(logs)
    assert without_debug_lines(logs) == [], {name: logs[name][-1500:] for name in without_debug_lines(logs)}
    asr = logs[STAGE_LOGS["asr"]]
    assert "warm worker: yes" in asr, asr
    assert " DEBUG [worker " in asr, asr  # relayed from the worker as it logged them
    # Switching it off again plans nothing either.
    assert planned_jobs(built, *TARGETS, env=OFFLINE) == {}
    assert planned_jobs(built, *TARGETS, *DEBUG_ON, env=OFFLINE) == {}


def test_with_debug_on_the_asr_job_decoding_itself_logs_its_decisions(built):
    snakemake(built, *TARGETS, "--forcerun", "asr_transcribe", *DEBUG_ON, "asr.worker=false", env=OFFLINE)
    logs = stage_logs(built)
    asr = logs[STAGE_LOGS["asr"]]
    assert "warm worker: no" in asr and "[worker " not in asr, asr
    assert without_debug_lines(logs) == [], {name: logs[name][-1500:] for name in without_debug_lines(logs)}
    assert planned_jobs(built, *TARGETS, env=OFFLINE) == {}
