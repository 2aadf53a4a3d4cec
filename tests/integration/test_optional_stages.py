"""Optional stages (separate, vad, align, diarize): toggles rebuild exactly what depends on
them; VAD on real speech with inserted silence; separation wiring on a stand-in model."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import PROJECT, copy_project, fixture, model_dir_with_base, planned_jobs, requires_fixtures, snakemake, update_config

from subtitles_workflow.wer import word_error_rate

pytestmark = [requires_fixtures]
# JFK split at "for you, | ask" (7.5 s) and padded: silence where no word can be.
SILENCE = [(0.0, 5.0), (12.5, 16.5), (20.0, 25.0)]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("optional")
    # Its own model_dir: the alignment and demucs models it records stay there.
    work = copy_project(root / "project", model_dir=str(model_dir_with_base(root)))
    # JFK (11 s) with 5 s of silence before, 4 s inside (at 7.5 s, between two clauses) and 5 s after.
    pad = (
        "[0:a]asplit[first][second];"
        "[first]atrim=end=7.5,adelay=5000:all=1[a];"
        "[second]atrim=start=7.5,asetpts=PTS-STARTPTS,adelay=4000:all=1,apad=pad_dur=5[b];"
        "[a][b]concat=n=2:v=0:a=1"
    )
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", fixture("en/jfk.wav"), "-filter_complex", pad, work / "in" / "jfk.wav"], check=True)
    snakemake(work)
    return work


def words(transcript_path):
    doc = json.loads(transcript_path.read_text())
    return " ".join(w["word"] for s in doc["segments"] for w in s["words"])


@pytest.mark.parametrize(
    "stage,expected",
    [
        ("separate", {"separate_vocals": 1, "asr_transcribe": 1, "timing_refine": 1}),
        ("vad", {"vad_segments": 1, "asr_transcribe": 1, "timing_refine": 1}),
        ("align", {"align_words": 1}),
        ("diarize", {"env_build": 1, "diarize_speakers": 1}),
    ],
)
def test_toggling_a_stage_adds_exactly_its_jobs(workdir, stage, expected):
    if stage == "diarize" and (PROJECT / ".venvs" / "pyannote.env.json").exists():
        expected = {k: v for k, v in expected.items() if k != "env_build"}
    update_config(workdir, {stage: {"activate": True}})
    try:
        jobs = planned_jobs(workdir)
    finally:
        update_config(workdir, {stage: {"activate": False}})
    assert jobs == {**expected, "subtitles_render": 1, "all": 1}
    assert planned_jobs(workdir) == {}  # off again: nothing to do


def test_vad_regions_cover_the_speech_and_asr_text_is_unchanged(workdir):
    without_vad = words(workdir / "work" / "asr" / "jfk.json")
    spoken = [w for s in json.loads((workdir / "work" / "asr" / "jfk.json").read_text())["segments"] for w in s["words"]]
    update_config(workdir, {"vad": {"activate": True}})
    try:
        snakemake(workdir)
        regions = json.loads((workdir / "work" / "vad" / "jfk.json").read_text())["regions"]
        with_vad = words(workdir / "work" / "asr" / "jfk.json")
        log = (workdir / "logs" / "asr" / "jfk.log").read_text()
    finally:
        update_config(workdir, {"vad": {"activate": False}})
    covered = lambda a, b: sum(max(0.0, min(b, r["end"]) - max(a, r["start"])) for r in regions)  # noqa: E731
    for word in spoken:  # every word Whisper heard (its timing is good to ~0.5 s) is in a region
        middle = (word["start"] + word["end"]) / 2
        assert any(r["start"] - 0.5 <= middle <= r["end"] + 0.5 for r in regions), (word, regions)
    for start, end in SILENCE:
        assert covered(start + 0.5, end - 0.5) == 0, (start, end, regions)
    assert "decoding 2 speech regions" in log
    assert word_error_rate(without_vad, with_vad) <= 0.05, (without_vad, with_vad)


def test_align_without_a_model_passes_through_with_a_warning(workdir):
    update_config(workdir, {"align": {"activate": True}})
    try:
        snakemake(workdir)
        aligned = json.loads((workdir / "work" / "align" / "jfk.json").read_text())
        log = (workdir / "logs" / "align" / "jfk.log").read_text()
    finally:
        update_config(workdir, {"align": {"activate": False}})
    assert aligned["alignment"]["status"] == "skipped"
    assert "alignment skipped: no alignment model for language 'en'" in log
    assert words(workdir / "work" / "align" / "jfk.json") == words(workdir / "work" / "asr" / "jfk.json")


def test_align_with_a_model_places_words_by_ctc_then_refines_their_edges_against_the_audio(workdir, tmp_path):
    model = tmp_path / "tiny-wav2vec2"
    subprocess.run([PROJECT / ".venvs" / "align" / "bin" / "python", PROJECT / "tests" / "tools" / "make_tiny_wav2vec2.py", model], check=True)
    update_config(workdir, {"align": {"activate": True, "models": {"en": str(model)}}})
    try:
        snakemake(workdir, "work/align/jfk.json")
        aligned = json.loads((workdir / "work" / "align" / "jfk.json").read_text())
    finally:
        update_config(workdir, {"align": {"activate": False, "models": {}}})
    assert aligned["alignment"]["status"] == "aligned" and aligned["alignment"]["aligned_words"] > 0
    assert aligned["word_timing"] == "ctc+signal"
    every = [w for s in aligned["segments"] for w in s["words"]]
    # CTC placed every word (the stand-in model's places are arbitrary); the signal then moved
    # its edges, never out of order.
    assert all("ctc_start" in w and "whisper_start" in w for w in every)
    assert any((w["start"], w["end"]) != (w["ctc_start"], w["ctc_end"]) for w in every)
    assert all(a["end"] <= b["start"] and a["start"] < a["end"] for a, b in zip(every, every[1:]))


def test_separate_wiring_with_a_random_stand_in_model_since_no_real_demucs_weights_exist_here(workdir, tmp_path):
    checkpoint = tmp_path / "stand-in.th"
    subprocess.run([PROJECT / ".venvs" / "separate" / "bin" / "python", PROJECT / "tests" / "tools" / "make_tiny_demucs.py", checkpoint], check=True)
    update_config(workdir, {"separate": {"activate": True, "model": str(checkpoint)}})
    try:
        snakemake(workdir, "work/separate/jfk.vocals.wav")
        vocals = workdir / "work" / "separate" / "jfk.vocals.wav"
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=sample_rate,channels,duration", "-of", "json", vocals],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        (stream,) = json.loads(probe.stdout)["streams"]
        assert (stream["sample_rate"], stream["channels"]) == ("16000", 1)
        assert float(stream["duration"]) == pytest.approx(25.0, abs=0.01)
        update_config(workdir, {"separate": {"model": str(tmp_path / "missing.th")}})
        done = snakemake(workdir, "--forcerun", "separate_vocals", "work/separate/jfk.vocals.wav", check=False)
        assert done.returncode != 0
        # A model is an artifact: one that is not there stops the run before any job, in one line.
        missing = f"error: config separate.model {str(tmp_path / 'missing.th')!r}: no such local model file or directory"
        assert missing in done.stdout + done.stderr and "demucs weights are not on PyPI" in done.stderr
    finally:
        update_config(workdir, {"separate": {"activate": False, "model": ""}})


@pytest.mark.slow
@pytest.mark.parametrize(
    "env,module",
    [("separate", "demucs.apply"), ("vad", "faster_whisper.vad"), ("align", "transformers"), ("pyannote", "pyannote.audio"), ("whisperx", "whisperx")],
)
def test_optional_env_builds_and_imports(workdir, env, module):
    stamp = PROJECT / ".venvs" / f"{env}.env.json"
    snakemake(workdir, str(stamp), timeout=3600)
    subprocess.run([PROJECT / ".venvs" / env / "bin" / "python", "-c", f"import {module}"], check=True)


def test_warm_worker_gives_the_same_transcript_and_reruns_nothing(workdir):
    snakemake(workdir)  # settle what the stage toggles above left stale
    transcript = workdir / "work" / "asr" / "jfk.json"
    default_log = (workdir / "logs" / "asr" / "jfk.log").read_text()
    # By default (auto) a clip this short goes to a warm worker.
    assert "warm worker: yes (auto: 25 s of audio, run on this machine)" in default_log and "[worker " in default_log
    before = json.loads(transcript.read_text())["segments"]
    update_config(workdir, {"asr": {"worker": False}})
    try:
        assert planned_jobs(workdir) == {}  # a resource, not a param
        snakemake(workdir, "--forcerun", "asr_transcribe", str(transcript.relative_to(workdir)))
        log = (workdir / "logs" / "asr" / "jfk.log").read_text()
    finally:
        update_config(workdir, {"asr": {"worker": "auto"}})
    assert "warm worker: no (asr.worker: false)" in log and "[worker " not in log
    assert json.loads(transcript.read_text())["segments"] == before
