"""The reliability matrix: bad input, faults and concurrent runs. Each case ends in a correct
output, or in a one-line error naming the file and the remedy with no partial artifact that a
later run would trust."""

from __future__ import annotations

import json
import os
import signal
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pysrt
import pytest

import matrix_media
from conftest import PROJECT, copy_project, fixture, planned_jobs, snakemake, update_config

from project import subtitle_style
from subtitles_workflow.transcript import SCHEMA


@pytest.fixture
def work(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


def run(work: Path, *args: str) -> tuple[int, str]:
    done = snakemake(work, *args, check=False)
    return done.returncode, done.stdout + done.stderr


def partial_files(work: Path) -> list[Path]:
    return [p for d in ("out", "work") if (work / d).exists() for p in (work / d).rglob(".*") if ".tmp" in p.name]


def assert_failed_cleanly(work: Path, output: str, message: str, artifact: str) -> None:
    assert message in output, output[-3000:]
    assert not (work / artifact).exists(), artifact
    assert partial_files(work) == []


def start(work: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", *args],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


def wait_for(condition, timeout: float = 300, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def mount_tmpfs(target: Path, options: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); needs root or CAP_SYS_ADMIN")


# 1-4: unreadable input -------------------------------------------------------------------
def test_01_zero_byte_input(work):
    (work / "in" / "empty.mp4").write_bytes(b"")
    code, output = run(work)
    assert code != 0
    assert_failed_cleanly(work, output, "in/empty.mp4: file is empty (0 bytes); replace it with a real media file", "work/demux/empty.wav")
    assert planned_jobs(work).get("demux_audio") == 1  # nothing was trusted


def notes(path):
    path.write_text("these are my notes, not a film\n" * 20)


@pytest.mark.parametrize(
    "make, name, problem",
    [
        (matrix_media.truncated_mp4, "cut", "not readable as audio/video"),  # 2: a truncated mp4
        (notes, "notes", "not readable as audio/video"),  # 3: a text file renamed .mp4
        (matrix_media.video_without_audio, "mute", "has no audio stream"),  # 4: video without audio
    ],
    ids=["truncated_mp4", "text_file_renamed_mp4", "video_without_audio"],
)
def test_02_to_04_unreadable_media(work, make, name, problem):
    make(work / "in" / f"{name}.mp4")
    code, output = run(work)
    assert code != 0
    assert_failed_cleanly(work, output, f"in/{name}.mp4: {problem}", f"work/demux/{name}.wav")


# 5-7: valid but awkward input ------------------------------------------------------------
def test_05_silence_gives_a_valid_empty_subtitle_file(work):
    matrix_media.silence(work / "in" / "quiet.wav")
    code, output = run(work)
    assert code == 0, output[-3000:]
    assert (work / "out" / "quiet.en.srt").read_text() == ""


def test_06_music_and_noise_give_no_invented_dialogue(work):
    matrix_media.noise_and_music(work / "in" / "music.wav")
    code, output = run(work)
    assert code == 0, output[-3000:]
    cues = pysrt.open(str(work / "out" / "music.en.srt"))
    assert len(cues) <= 1, [c.text for c in cues]


def test_07_clip_shorter_than_a_second(work):
    matrix_media.speech(work / "in" / "hi.mp4", "Hi.")
    code, output = run(work)
    assert code == 0, output[-3000:]
    assert (work / "out" / "hi.mp4").exists()
    assert all(c.start < c.end for c in pysrt.open(str(work / "out" / "hi.en.srt")))


# 8: long input -----------------------------------------------------------------------------
def test_08_thirty_minutes_in_bounded_memory(work, tmp_path):
    matrix_media.long_recording(work / "in" / "long.flac", 30, tmp_path)
    update_config(work, {"asr": {"model": "tiny.en", "batch_size": 8}})
    # Snakemake in a fresh process that reports the largest peak RSS among its descendants
    # (RUSAGE_CHILDREN): every stage's process stays under it. The asr stage's own benchmark:
    # file says the same for asr alone.
    measure = (
        "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]);"
        "print('peak_kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)"
    )
    done = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "snakemake", "--cores", "2"],
                          cwd=work, capture_output=True, text=True, timeout=1800)  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    peak_mb = int(done.stdout.split("peak_kb")[-1].split()[0]) / 1024
    assert peak_mb < 2000, peak_mb
    asr_mb = float((work / "benchmarks" / "asr" / "long.tsv").read_text().splitlines()[1].split("\t")[2])
    assert asr_mb < 2000, asr_mb
    transcript = json.loads((work / "work" / "asr" / "long.json").read_text())
    assert transcript["duration"] == pytest.approx(1800, abs=1)
    assert pysrt.open(str(work / "out" / "long.en.srt"))[-1].end.ordinal > 1700 * 1000


# 9: several audio streams ------------------------------------------------------------------
def wav_seconds(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return float(out)


def test_09_audio_stream_chosen_by_language_tag_or_config(work, tmp_path):
    matrix_media.two_audio_streams(work / "in" / "dual.mkv", tmp_path)
    (work / "config" / "media.tsv").write_text("name\tsource_language\taudio_stream\ndual\thi\t\n")
    snakemake(work, "work/demux/dual.wav")
    assert wav_seconds(work / "work" / "demux" / "dual.wav") == pytest.approx(1.0, abs=0.1)  # the hin stream
    update_config(work, {"demux": {"audio_stream": 0}})
    snakemake(work, "work/demux/dual.wav")  # the param changed: demux re-runs
    assert wav_seconds(work / "work" / "demux" / "dual.wav") > 2.0


# 10: hostile file names ------------------------------------------------------------------
HOSTILE = ["my film", "it's \"quoted\"", "$(touch PWNED); echo x", "-leading dash", "фильм ü – 映画"]


def test_10_file_names_are_never_shell_code(work):
    for index, name in enumerate(HOSTILE):
        matrix_media.speech(work / "in" / f"{name}.{'mp4' if index == 0 else 'wav'}", "Hello there.")
    code, output = run(work)
    assert code == 0, output[-3000:]
    for name in HOSTILE:
        assert pysrt.open(str(work / "out" / f"{name}.en.srt")), name
    assert (work / "out" / "my film.mp4").exists()
    assert not list(work.rglob("PWNED")) and not Path("PWNED").exists()


# 11-13: configuration, environments and models -----------------------------------------
def test_11_unknown_language_fails_before_any_job(work):
    matrix_media.speech(work / "in" / "a.wav")
    update_config(work, {"source_language": "xx"})
    code, output = run(work)
    assert code != 0 and "unknown language code 'xx'" in output
    assert not (work / "logs").exists() and not (work / "work" / "demux").exists()
    update_config(work, {"source_language": "en"})
    (work / "config" / "media.tsv").write_text("name\tsource_language\na\tklingon\n")
    code, output = run(work, "-n")
    assert code != 0 and "media.tsv" in output


def test_12_missing_or_broken_env_is_rebuilt_else_fails_before_work_with_the_build_command(work, tmp_path):
    venvs = tmp_path / "venvs"
    update_config(work, {"venv_dir": str(venvs)})
    matrix_media.speech(work / "in" / "a.wav")
    snakemake(work, str(venvs / "media.env.json"))  # a missing env is simply built
    stamp = (venvs / "media.env.json").read_text()
    (venvs / "media" / "bin" / "python").unlink()  # now break it: the job that needs it rebuilds it
    snakemake(work, "work/demux/a.wav")
    assert "environment 'media'" in (work / "logs" / "demux" / "a.log").read_text()
    assert planned_jobs(work, "work/demux/a.wav") == {}
    assert (venvs / "media.env.json").read_text() == stamp
    (venvs / "media" / "bin" / "python").unlink()  # and when the rebuild fails too: one line
    (venvs / "media.lock.json").write_text("{}")
    (work / "envs" / "media.yaml").write_text("name: media\ndependencies:\n  - pip:\n      - no-such-package-anywhere==0\n")
    code, output = run(work, "--allowed-rules", "demux_audio", "--force", "work/demux/a.wav")
    assert code != 0
    expected = f"error: environment 'media' ({venvs / 'media'}) is missing or broken; rebuild it with: snakemake --cores 1 --force '{venvs / 'media.env.json'}'"
    assert_failed_cleanly(work, output, expected, "work/demux/a.wav")


def test_13_missing_model_is_a_clear_error(work):
    matrix_media.speech(work / "in" / "a.wav")
    update_config(work, {"asr": {"model": "/nonexistent/whisper-model"}})
    code, output = run(work)
    assert code != 0
    # a model is an artifact (rules/models.smk): one that cannot be had stops the run before any job
    assert_failed_cleanly(work, output, "error: config asr.model '/nonexistent/whisper-model': no such local model directory", "work/asr/a.json")
    assert "Job stats" not in output
    update_config(work, {"asr": {"model": "large-v9"}})
    started = time.monotonic()
    code, output = run(work)
    assert code != 0 and "error: config asr.model 'large-v9' is not a model name (base, tiny.en" in output
    assert time.monotonic() - started < 60


# 14-16: interruptions and concurrency --------------------------------------------------
def asr_pids(audio: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", f"asr.py --audio {audio}"], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def test_14_kill_9_mid_asr_redoes_only_that_job(work, tmp_path):
    matrix_media.long_recording(work / "in" / "victim.flac", 1.5, tmp_path)
    matrix_media.speech(work / "in" / "bystander.wav")
    runner = start(work)
    wait_for(lambda: asr_pids("work/demux/victim.wav"), what="the asr job of victim")
    time.sleep(2)
    for pid in asr_pids("work/demux/victim.wav"):
        os.kill(pid, signal.SIGKILL)
    output = runner.communicate(timeout=600)[0]
    assert runner.returncode != 0
    assert (work / "out" / "bystander.en.srt").exists(), output[-3000:]  # keep-going
    assert not (work / "work" / "asr" / "victim.json").exists() and partial_files(work) == []
    jobs = planned_jobs(work)
    assert jobs.get("asr_transcribe") == 1 and "demux_audio" not in jobs, jobs
    snakemake(work)


def test_15_ctrl_c_then_resume_keeps_finished_stages(work):
    matrix_media.speech(work / "in" / "first.wav")
    matrix_media.speech(work / "in" / "second.wav", "A second sentence, spoken later on.")
    runner = start(work)
    # A subtitles job has started: that film's transcript is finished and recorded.
    wait_for(lambda: any((work / "logs" / "subtitles").glob("*.log")), what="a finished transcript")
    film = next((work / "logs" / "subtitles").glob("*.log")).name.split(".")[0]
    finished = work / "work" / "asr" / f"{film}.json"
    stamp = finished.stat().st_mtime_ns
    os.killpg(runner.pid, signal.SIGINT)
    runner.communicate(timeout=300)
    code, output = run(work)
    assert code == 0, output[-3000:]
    assert finished.stat().st_mtime_ns == stamp
    assert (work / "out" / "first.en.srt").exists() and (work / "out" / "second.en.srt").exists()


def test_16_second_concurrent_run_refuses_cleanly(work, tmp_path):
    matrix_media.long_recording(work / "in" / "film.flac", 3, tmp_path)
    first = start(work)
    wait_for(lambda: asr_pids("work/demux/film.wav"), what="the first run's asr job")
    code, output = run(work)
    assert code != 0 and "cannot be locked" in output
    assert first.wait(timeout=600) == 0
    assert planned_jobs(work) == {}


# 17-18: the file system fails ------------------------------------------------------------
def test_17_read_only_output_folder(work):
    matrix_media.speech(work / "in" / "a.wav")
    mount_tmpfs(work / "out", "ro,size=1m")
    try:
        code, output = run(work)
    finally:
        subprocess.run(["umount", str(work / "out")], check=True)
    assert code != 0
    assert "out/ is not writable (read-only file system or permissions); make it writable" in output, output[-3000:]
    assert not (work / "logs").exists()  # refused before any job


def test_17b_unwritable_output_inside_a_stage_is_one_line(tmp_path):
    """The stage scripts themselves turn a file-system error into one line (no traceback)."""
    transcript = tmp_path / "t.json"
    transcript.write_text(json.dumps({"schema": SCHEMA, "segments": [{"text": "Hi.", "words": [{"word": "Hi.", "start": 0, "end": 0.5}]}]}))
    blocked = tmp_path / "blocked"
    mount_tmpfs(blocked, "ro,size=1m")
    try:
        done = subprocess.run(
            [sys.executable, PROJECT / "scripts" / "subtitles.py", "--transcript", transcript,
             "--output", blocked / "a.srt", "--format", "srt", "--style", json.dumps(subtitle_style())],
            capture_output=True, text=True,
        )  # fmt: skip
    finally:
        subprocess.run(["umount", str(blocked)], check=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(f"error: {blocked}")
    assert "Read-only file system; check that its folder is writable" in done.stderr


def test_18_disk_full_keeps_no_truncated_artifact(work):
    shutil.copy2(fixture("en/jfk.flac"), work / "in" / "jfk.flac")  # 352 kB once demuxed
    mount_tmpfs(work / "work" / "demux", "size=100k")
    try:
        code, output = run(work)
        leftovers = list((work / "work" / "demux").iterdir())
    finally:
        subprocess.run(["umount", str(work / "work" / "demux")], check=True)
    assert code != 0
    assert "in/jfk.flac: ffmpeg could not extract the audio" in output and "No space left on device" in output
    assert leftovers == []


# 19-20: batches and replaced input -----------------------------------------------------
def test_19_one_bad_file_does_not_stop_the_batch(work):
    matrix_media.speech(work / "in" / "good1.wav")
    matrix_media.speech(work / "in" / "good2.mp4", "Another good clip.")
    (work / "in" / "bad.mp4").write_text("not a film")
    code, output = run(work)
    assert code != 0
    assert (work / "out" / "good1.en.srt").exists() and (work / "out" / "good2.mp4").exists()
    assert "summary: 2 built, 0 up to date, 1 failed" in output
    assert "failed:     bad: in/bad.mp4: not readable as audio/video" in output


def test_20_replaced_input_rebuilds_even_with_an_older_date(work):
    film = matrix_media.speech(work / "in" / "film.wav", "The first version of this film.")
    snakemake(work)
    before = (work / "out" / "film.en.srt").read_text()
    matrix_media.speech(film, "Completely different words arrive in the replacement.")
    os.utime(film, (1_000_000_000, 1_000_000_000))  # older than every artifact
    assert planned_jobs(work).get("demux_audio") == 1
    snakemake(work)
    after = (work / "out" / "film.en.srt").read_text()
    assert after != before and "replacement" in after.lower()


# 21: a half-downloaded film ----------------------------------------------------------------
def test_21_half_downloaded_film_fails_in_one_line(work, tmp_path):
    """A faststart mp4 (and an mkv) cut to half its bytes still opens, and ffmpeg decodes the half
    it has: demux fails it in one line naming what is missing, and the batch goes on."""
    import re

    matrix_media.half_downloaded(work / "in" / "half.mp4", tmp_path / "mp4")
    matrix_media.half_downloaded(work / "in" / "cut.mkv", tmp_path / "mkv", seconds=60)
    matrix_media.speech(work / "in" / "good.mp4", "Another good clip.")
    code, output = run(work)
    assert code != 0
    line = next((l for l in output.splitlines() if l.startswith("error: in/half.mp4")), output[-3000:])
    assert re.fullmatch(
        r"error: in/half\.mp4: the file ends early: decoded 9\d\.\d s of audio, its container declares 198\.0 s "
        r"\(ffmpeg: partial file\); download or copy it again",
        line,
    ), line
    assert re.search(r"in/cut\.mkv: the file ends early: decoded \d+\.\d s of audio, its container declares 60\.\d s "
                     r"\(ffmpeg: File ended prematurely\)", output), output[-3000:]  # fmt: skip
    for name in ("half", "cut"):
        assert "Traceback" not in (work / "logs" / "demux" / f"{name}.log").read_text()
        assert list((work / "out").glob(f"{name}.*")) == [] and not (work / "work" / "demux" / f"{name}.wav").exists()
    assert partial_files(work) == []
    assert (work / "out" / "good.en.srt").exists() and (work / "out" / "good.mp4").exists()  # keep-going
    assert "summary: 1 built, 0 up to date, 2 failed" in output, output[-3000:]
    assert "failed:     half: in/half.mp4: the file ends early: decoded" in output


# 22: an env missing a package ----------------------------------------------------------------
def test_22_env_missing_a_package_is_repaired_or_named_in_one_line(work, tmp_path):
    """A package gone from an env (its folder deleted, or uninstalled) is found before the job
    starts: the env is rebuilt from its lock, as a deleted one is, and nothing goes stale; when
    that fails too, the job fails in one line naming the env, the command that rebuilds it and
    the missing module, with no traceback."""
    venvs = tmp_path / "venvs"
    venvs.mkdir()
    for entry in sorted((PROJECT / ".venvs").iterdir()):  # this checkout's envs, but a copy of subtitles
        if entry.name.endswith((".env.json", ".lock.json")):
            shutil.copy2(entry, venvs / entry.name)
        elif entry.name == "subtitles":
            shutil.copytree(entry, venvs / entry.name, symlinks=True)
        elif entry.is_dir():
            (venvs / entry.name).symlink_to(entry)
    update_config(work, {"venv_dir": str(venvs)})
    matrix_media.speech(work / "in" / "a.wav")
    snakemake(work)
    stamp = (venvs / "subtitles.env.json").read_text()
    packages = {line.split("==")[0]: line for line in json.loads(stamp)["packages"]}
    site = next((venvs / "subtitles" / "lib").glob("python*/site-packages"))
    log = work / "logs" / "subtitles" / "a.en.srt.log"

    (venvs / "subtitles" / "env-check.txt").unlink(missing_ok=True)  # as an env built before the check
    shutil.rmtree(site / "regex")  # subtitles.py imports it first thing
    (work / "out" / "a.en.srt").unlink()
    snakemake(work, "out/a.en.srt")  # repaired from its lock, then rendered
    assert f"environment 'subtitles' ({venvs / 'subtitles'}) is missing or broken: rebuilding it (module 'regex' of {packages['regex']} is missing)" in log.read_text()
    assert (venvs / "subtitles.env.json").read_text() == stamp
    assert planned_jobs(work) == {}

    shutil.rmtree(site / "pysubs2")  # now as `pip uninstall pysubs2` leaves it, and the rebuild fails too
    for dist_info in site.glob("pysubs2-*.dist-info"):
        shutil.rmtree(dist_info)
    (venvs / "subtitles.lock.json").write_text("{}")
    (work / "envs" / "subtitles.yaml").write_text("name: subtitles\ndependencies:\n  - pip:\n      - no-such-package-anywhere==0\n")
    code, output = run(work, "--allowed-rules", "subtitles_render", "--force", "out/a.en.srt")
    assert code != 0
    expected = (
        f"error: environment 'subtitles' ({venvs / 'subtitles'}) is missing or broken; rebuild it with: "
        f"snakemake --cores 1 --force '{venvs / 'subtitles.env.json'}' (module 'pysubs2' of {packages['pysubs2']} is missing)"
    )
    assert_failed_cleanly(work, output, expected, "out/a.en.srt")
    assert expected in log.read_text().splitlines() and "Traceback" not in log.read_text()
