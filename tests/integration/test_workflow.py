"""End to end on real media with the real base model, on a fresh copy of the project with its
own envs: outputs, transcript quality, muxed tracks, and the incremental-build contract.

The tests run in file order and share one work directory: each step builds on the last.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pysrt
import pytest

from conftest import copy_project, fixture, planned_jobs, requires_fixtures, snakemake, update_config
from project import job_counts

from subtitles_workflow.wer import word_error_rate

pytestmark = [requires_fixtures]

JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
ENVS = ("asr", "media", "subtitles")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    work = copy_project(root / "project", venv_dir=str(root / "venvs"), model_dir=str(root / "models"))
    shutil.copy2(fixture("video/autocut_test001.mp4"), work / "in" / "autocut_test001.mp4")
    shutil.copy2(fixture("en/jfk.flac"), work / "in" / "jfk.flac")
    return work


def subtitle_streams(video: Path) -> list[dict]:
    cmd = ["ffprobe", "-v", "error", "-select_streams", "s", "-show_streams", "-of", "json", str(video)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)["streams"]


def test_dry_run_lists_every_stage(workdir):
    jobs = planned_jobs(workdir, "out/jfk.en.srt")
    assert jobs == {"env_build": 3, "model_assemble": 1, "demux_audio": 1, "asr_transcribe": 1, "timing_refine": 1,
                    "subtitles_render": 1}  # fmt: skip


def test_full_run_builds_subtitles_and_muxed_video(workdir):
    snakemake(workdir)
    for name in ("out/autocut_test001.en.srt", "out/autocut_test001.mp4", "out/jfk.en.srt"):
        assert (workdir / name).stat().st_size > 0, name
    assert not list((workdir / "out").glob("jfk.m*")), "audio-only input must not get a muxed video"


@pytest.mark.parametrize("name", ["autocut_test001", "jfk"])
def test_srt_parses_with_ordered_non_overlapping_cues(workdir, name):
    cues = pysrt.open(str(workdir / "out" / f"{name}.en.srt"), encoding="utf-8")
    assert len(cues) > 0
    for cue in cues:
        assert cue.start < cue.end and cue.text.strip()
    for before, after in zip(cues, cues[1:]):
        assert before.end <= after.start


def test_jfk_transcript_word_error_rate(workdir):
    transcript = json.loads((workdir / "work" / "asr" / "jfk.json").read_text())
    text = " ".join(segment["text"] for segment in transcript["segments"])
    assert word_error_rate(JFK_TEXT, text) <= 0.15, text
    assert transcript["language"] == "en"
    words = [word for segment in transcript["segments"] for word in segment["words"]]
    assert words and all(0 <= w["start"] <= w["end"] <= transcript["duration"] + 0.5 for w in words)
    assert all(0 <= w["probability"] <= 1 for w in words)
    assert transcript["model"]["name"] == "base" and transcript["params"]["vad_filter"] is True


def test_demuxed_audio_is_16k_mono(workdir):
    cmd = ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(workdir / "work" / "demux" / "jfk.wav")]
    (stream,) = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)["streams"]
    assert (stream["sample_rate"], stream["channels"], stream["codec_name"]) == ("16000", 1, "pcm_s16le")
    assert abs(float(stream["duration"]) - 11.0) < 0.1


def test_muxed_video_has_language_tagged_subtitles(workdir):
    (stream,) = subtitle_streams(workdir / "out" / "autocut_test001.mp4")
    assert stream["codec_name"] == "mov_text"
    assert stream["tags"]["language"] == "eng"


def test_each_stage_ran_on_its_own_env(workdir):
    venvs = workdir.parent / "venvs"
    expected = {"demux": "media", "asr": "asr", "timing": "asr", "subtitles": "subtitles", "mux": "media"}
    for stage, env in expected.items():
        logs = list((workdir / "logs" / stage).glob("*.log"))
        assert logs, stage
        for log in logs:
            assert f"interpreter: {venvs / env / 'bin' / 'python'}" in log.read_text(), log
    for env in ENVS:
        stamp = json.loads((venvs / f"{env}.env.json").read_text())
        assert stamp["python"].startswith("3.11")
    assert any(p.startswith("faster-whisper==") for p in json.loads((venvs / "asr.env.json").read_text())["packages"])


def test_silero_runs_once_per_film(workdir):
    """In the asr stage, for the regions it decodes and the probabilities the timing stage
    refines word edges against (the transcript's `silero`): the timing stage runs none."""
    for name in ("jfk", "autocut_test001"):
        assert "silero VAD: 1 runs for this film" in (workdir / "logs" / "asr" / f"{name}.log").read_text()
        assert "silero VAD over" not in (workdir / "logs" / "timing" / f"{name}.log").read_text()
        assert "silero" in json.loads((workdir / "work" / "asr" / f"{name}.json").read_text())
        assert "silero" not in json.loads((workdir / "work" / "timing" / f"{name}.json").read_text())


def test_a_timing_edit_refines_again_and_decodes_nothing(workdir):
    module = workdir / "scripts" / "subtitles_workflow" / "word_timing.py"
    original = module.read_text()
    module.write_text(original.replace("END_PAD_S = 0.02", "END_PAD_S = 0.03"))
    try:
        assert planned_jobs(workdir) == {"timing_refine": 2, "subtitles_render": 2, "mux_video": 1, "all": 1}
    finally:
        module.write_text(original)
    assert planned_jobs(workdir) == {}


def test_second_run_has_nothing_to_do(workdir):
    assert planned_jobs(workdir) == {}


def test_touching_inputs_without_change_reruns_nothing(workdir):
    for path in (workdir / "in").iterdir():
        os.utime(path)
    assert planned_jobs(workdir) == {}


def test_subtitle_option_reruns_only_subtitles_and_mux(workdir):
    update_config(workdir, {"subtitles": {"max_line_chars": 32}})
    assert planned_jobs(workdir) == {"subtitles_render": 2, "mux_video": 1, "all": 1}
    snakemake(workdir)
    assert all(len(line) <= 32 for line in (workdir / "out" / "jfk.en.srt").read_text().splitlines())


def test_single_target_builds_only_what_it_needs(workdir):
    assert planned_jobs(workdir, "out/jfk.en.vtt") == {"subtitles_render": 1}


def test_local_runs_are_not_held_by_the_job_rate_limit(workdir):
    # Snakemake's limiter would hold the second job for an hour; local runs drop it.
    targets = ["out/jfk.en.vtt", "out/autocut_test001.en.vtt"]
    snakemake(workdir, "--forcerun", "subtitles_render", "--max-jobs-per-timespan", "1/1h", *targets, timeout=120)
    assert all((workdir / target).stat().st_size > 0 for target in targets)


def test_editing_a_stage_script_reruns_that_stage_and_reverting_it_does_not(workdir):
    script = workdir / "scripts" / "subtitles.py"
    original = script.read_text()
    script.write_text(original + "\n# a comment changes no code\n")
    assert planned_jobs(workdir) == {}
    script.write_text(original + "\nAN_EDIT = 1\n")
    assert planned_jobs(workdir) == {"subtitles_render": 2, "mux_video": 1, "all": 1}
    script.write_text(original)  # same text, newer mtime: the script's hash is what counts
    assert planned_jobs(workdir) == {}


def test_a_target_naming_no_film_fails_in_one_line(workdir):
    done = snakemake(workdir, "-n", "out/no_such_film.en.srt", check=False)
    assert done.returncode != 0
    assert "no film named 'no_such_film' in in/" in done.stdout + done.stderr


def test_identical_env_rebuild_marks_nothing_stale(workdir):
    stamp = workdir.parent / "venvs" / "subtitles.env.json"
    before = stamp.read_text()
    snakemake(workdir, "--force", str(stamp))
    assert stamp.read_text() == before
    assert planned_jobs(workdir) == {}


def test_shared_code_edits_rerun_its_stages_and_comments_do_not(workdir):
    """Stages are tracked by their script and every project module it imports (as syntax
    trees without docstrings): scripts/subtitles_workflow/speech.py shapes every transcript."""
    module = workdir / "scripts" / "subtitles_workflow" / "speech.py"
    original = module.read_text()
    assert '"min_silence_duration_ms": 160' in original
    module.write_text('# a comment\n' + original.replace('"""', '"""A docstring line. ', 1).replace("160", "(160)", 1))
    assert planned_jobs(workdir) == {}
    module.write_text(original.replace('"min_silence_duration_ms": 160', '"min_silence_duration_ms": 1600'))
    jobs = planned_jobs(workdir)
    assert jobs == {"asr_transcribe": 2, "timing_refine": 2, "subtitles_render": 2, "mux_video": 1, "all": 1}, jobs
    module.write_text(original)
    assert planned_jobs(workdir) == {}


def test_the_model_is_tracked_by_content_not_by_its_script(workdir):
    script = workdir / "scripts" / "model_assemble.py"
    original = script.read_text()
    script.write_text(original + "\n# a comment\n")
    assert planned_jobs(workdir) == {}
    manifest = workdir.parent / "models" / "faster-whisper-base.json"
    before = manifest.read_text()
    snakemake(workdir, "--force", str(manifest))  # a rebuild with the same content
    assert manifest.read_text() == before
    assert (workdir.parent / "models" / "faster-whisper-base").is_symlink()
    assert planned_jobs(workdir) == {}
    script.write_text(original)


@pytest.mark.skipif(Path("/proc/driver/nvidia/gpus").is_dir(), reason="auto means cuda here, not cpu")
def test_a_setting_equal_to_auto_reruns_nothing(workdir):
    update_config(workdir, {"asr": {"batch_size": 8, "device": "cpu", "compute_type": "int8"}})  # auto on a CPU
    assert planned_jobs(workdir) == {}
    update_config(workdir, {"asr": {"batch_size": "auto", "device": "auto", "compute_type": "auto"}})


def test_a_deleted_env_is_rebuilt_and_stales_nothing(workdir):
    venvs = workdir.parent / "venvs"
    stamp = (venvs / "subtitles.env.json").read_text()
    shutil.rmtree(venvs / "subtitles")
    done = snakemake(workdir, "-n")
    assert f"note: env 'subtitles' ({venvs / 'subtitles'}) is gone" in done.stderr
    snakemake(workdir, "envs")  # rebuilds it, from its lock
    assert (venvs / "subtitles.env.json").read_text() == stamp
    assert planned_jobs(workdir) == {}
    shutil.rmtree(venvs / "subtitles")
    (workdir / "out" / "jfk.en.vtt").unlink()
    jobs = planned_jobs(workdir, "out/jfk.en.vtt")
    assert jobs == {"subtitles_render": 1}, jobs
    snakemake(workdir, "out/jfk.en.vtt")  # the job that needs the env rebuilds it first
    log = (workdir / "logs" / "subtitles" / "jfk.en.vtt.log").read_text()
    assert "environment 'subtitles'" in log and "is missing or broken: rebuilding it" in log
    assert (venvs / "subtitles.env.json").read_text() == stamp
    assert planned_jobs(workdir) == {}


def test_a_second_checkout_sharing_envs_and_models_stales_nothing(workdir, tmp_path):
    """Two clones, one venv_dir and model_dir: the second one's newer files rebuild nothing
    shared, and its run leaves the first one with nothing to do."""
    root = workdir.parent
    other = copy_project(tmp_path / "clone", venv_dir=str(root / "venvs"), model_dir=str(root / "models"))
    shutil.copy2(workdir / "in" / "jfk.flac", other / "in" / "jfk.flac")
    later = time.time() + 60
    for path in (other / "scripts").rglob("*"):
        os.utime(path, (later, later))
    jobs = planned_jobs(other)
    assert "env_build" not in jobs and "model_assemble" not in jobs, jobs
    snakemake(other)
    assert planned_jobs(workdir) == {}


def test_asr_env_edit_reruns_asr_and_after_not_demux(workdir):
    spec = workdir / "envs" / "asr.yaml"
    spec.write_text(spec.read_text().rstrip("\n") + "\n      - six==1.16.0\n")
    jobs = planned_jobs(workdir)
    assert "demux_audio" not in jobs
    expected = {"model_assemble": 1, "asr_transcribe": 2, "timing_refine": 2, "subtitles_render": 2, "mux_video": 1}
    assert jobs == {"env_build": 1, **expected, "all": 1}
    demuxed = (workdir / "work" / "demux" / "jfk.wav").stat().st_mtime_ns
    snakemake(workdir)
    assert (workdir / "work" / "demux" / "jfk.wav").stat().st_mtime_ns == demuxed
    assert "six==1.16.0" in json.loads((workdir.parent / "venvs" / "asr.env.json").read_text())["packages"]
    assert planned_jobs(workdir) == {}


def test_a_films_own_source_language_reruns_that_film_only(workdir):
    """A media sheet that repeats the configured language stales nothing; one that gives a film
    another language re-runs that film's demux and asr, and its asr is told the language."""
    sheet = workdir / "config" / "media.tsv"
    sheet.write_text("name\tsource_language\njfk\ten\n")  # what config says already
    assert planned_jobs(workdir) == {}
    sheet.write_text("name\tsource_language\nautocut_test001\thi\n")
    plan = snakemake(workdir, "-n", "-p", "work/asr/jfk.json", "work/asr/autocut_test001.json")
    assert job_counts(plan.stdout + plan.stderr) == {"asr_transcribe": 1, "demux_audio": 1}
    asr_commands = [line for line in (plan.stdout + plan.stderr).splitlines() if "--model-path" in line]
    assert len(asr_commands) == 1 and "--language hi" in asr_commands[0]
    sheet.unlink()
    assert planned_jobs(workdir) == {}


def test_auto_language_names_the_subtitles_after_the_detected_language(workdir):
    """Last: it re-runs jfk's asr. Only a film set to `auto` goes through the checkpoint."""
    (workdir / "config" / "media.tsv").write_text("name\tsource_language\njfk\tauto\n")
    jobs = planned_jobs(workdir)
    assert jobs.get("detected_language") == 1 and jobs.get("asr_transcribe") == 1
    snakemake(workdir)
    assert (workdir / "work" / "language" / "jfk.txt").read_text() == "en\n"
    assert (workdir / "out" / "jfk.en.srt").stat().st_mtime_ns > (workdir / "work" / "asr" / "jfk.json").stat().st_mtime_ns
    assert planned_jobs(workdir) == {}
