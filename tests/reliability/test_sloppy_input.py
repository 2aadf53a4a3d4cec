"""The reliability matrix, continued: sloppy and hostile input around the films (issue 27).
Each mistake in a film name, the media sheet, a glossary, in/ or the config is one line naming
the file (and row or line) and what to do, before any job; the other films are still built."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

import matrix_media
from conftest import copy_project, planned_jobs, snakemake, update_config


@pytest.fixture
def work(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


def plan(work: Path, *args: str) -> tuple[int, str]:
    done = snakemake(work, "-n", "-p", *args, check=False)
    return done.returncode, done.stdout + done.stderr


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


def assert_one_line_before_any_job(code: int, output: str, expected: str) -> None:
    assert code == 1, output[-3000:]
    assert "Traceback" not in output and "Job stats" not in output, output[-3000:]
    [line] = error_lines(output)
    assert re.fullmatch(expected, line), line


# 23: names Snakemake cannot carry -------------------------------------------------------
def test_23_a_film_name_with_braces_is_refused_and_the_others_build(work):
    matrix_media.speech(work / "in" / "Movie {Extended}.mp3", "Hello there.")
    matrix_media.speech(work / "in" / "ok.wav", "Hello there.")
    code, output = plan(work)
    assert code == 0, output[-3000:]
    assert error_lines(output) == [
        "error: in/Movie {Extended}.mp3: not built: braces in a film name are not supported (Snakemake "
        "reads them as wildcards); rename it, e.g. to 'Movie (Extended).mp3'"
    ]
    assert "out/ok.en.srt" in output and "Extended" not in output.split("error: in/Movie")[0]


def test_24_a_film_named_like_a_burn_in_is_refused_and_the_film_keeps_its_track(work):
    update_config(work, {"burn_in_language": "en"})
    matrix_media.speech(work / "in" / "clip.mp4", "Hello there.")
    shutil.copy(work / "in" / "clip.mp4", work / "in" / "clip.en.burned.mp4")
    code, output = plan(work)
    assert code == 0, output[-3000:]
    assert error_lines(output) == [
        "error: in/clip.en.burned.mp4: not built: its muxed film out/clip.en.burned.mp4 would be the burn-in "
        "of film 'clip' (out/<name>.<lang>.burned.mp4); rename it, e.g. to 'clip.en-burned.mp4'"
    ]
    jobs = planned_jobs(work)
    assert jobs["mux_video"] == 1 and jobs["subtitles_burn"] == 1 and jobs["demux_audio"] == 1


def test_25_what_in_holds_but_is_not_processed_is_listed_in_one_note(work):
    matrix_media.speech(work / "in" / "film.wav", "Hello there.")
    (work / "in" / "extras").mkdir()
    (work / "in" / "folder.mp4").mkdir()
    (work / "in" / "notes.docx").write_text("x")
    (work / "in" / "film.glossary.txt").write_text("Zyntrax\n")  # a film's companion: no note
    (work / "in" / ".DS_Store").write_text("x")  # hidden: no note
    clip = matrix_media.speech(work / "clip.mp4", "Hello there.")
    matrix_media.ffmpeg("-i", str(clip), "-c:v", "mpeg4", "-c:a", "mp3", str(work / "in" / "old.avi"))  # a film now
    code, output = plan(work)
    assert code == 0, output[-3000:]
    notes = [line for line in output.splitlines() if line.startswith("note: in/")]
    assert notes == [
        "note: in/ holds 3 entries the workflow does not process: extras/ (a folder), folder.mp4/ (a folder), "
        "notes.docx; films go directly in in/ with one of the extensions mp4 mkv mov webm avi m4v mp3 wav "
        "flac m4a ogg opus"
    ]
    assert "out/old.en.srt" in output and "out/old.mkv" in output


# 26: the media sheet, checked as a whole ------------------------------------------------
SHEET_MISTAKES = {
    "row for no film": ("name\tsource_language\nfilm\ten\nflim\tde\n", r"config/media\.tsv, line 3 \('flim'\), column 'name': no film 'flim' in in/; did you mean 'film'\?"),
    "film listed twice": ("name\tsource_language\nfilm\ten\nfilm\tde\n", r"config/media\.tsv, line 3 \('film'\): the film is listed again \(first on line 2\); keep one row per film"),
    "misspelt column": ("name\tsource_langauge\nfilm\tde\n", r"config/media\.tsv, line 1: unknown column 'source_langauge'; did you mean 'source_language'\? .*"),
    "extra cell": ("name\tsource_language\nfilm\tde\ten\n", r"config/media\.tsv, line 2: 3 cells, the header has 2 columns \(extra: 'en'\); .*"),
    "unknown target language": ("name\ttarget_languages\nfilm\tfr, xx\n", r"config/media\.tsv, line 2 \('film'\), column 'target_languages': unknown language code 'xx'; use an ISO 639-1 code Whisper knows \(all in scripts/subtitles_workflow/languages\.py\)"),
}  # fmt: skip


@pytest.mark.parametrize("mistake", SHEET_MISTAKES)
def test_26_a_media_sheet_mistake_is_one_line_before_any_job(work, mistake):
    text, expected = SHEET_MISTAKES[mistake]
    matrix_media.speech(work / "in" / "film.wav", "Hello there.")
    (work / "config" / "media.tsv").write_text(text)
    assert_one_line_before_any_job(*plan(work), f"error: {expected}")


@pytest.mark.parametrize(("sheet", "what"), [("config/medai.tsv", "does not exist"), ("config", "is a folder")])
def test_26b_a_media_sheet_path_that_is_no_file_is_one_line(work, sheet, what):
    matrix_media.speech(work / "in" / "film.wav", "Hello there.")
    update_config(work, {"media_sheet": sheet})
    expected = f"error: config media_sheet: {sheet} {what}; give the path of a tab-separated file .*"
    assert_one_line_before_any_job(*plan(work), expected)


# 27: text files in other encodings, and invisible characters ---------------------------
def test_27_a_cp1252_sheet_and_a_latin1_glossary_are_read_and_noted(work):
    matrix_media.speech(work / "in" / "Café.wav", "Hello there.")
    (work / "config" / "media.tsv").write_bytes("name\tsource_language\thotwords\nCafé\ten\tMüller\n".encode("cp1252"))
    (work / "in" / "Café.glossary.txt").write_bytes("\ufeffZyntrax\nQuorvel \u200b\nCrème brûlée\n".encode("utf-8"))
    code, output = plan(work, "out/Café.en.srt")
    assert code == 0, output[-3000:]
    assert "note: config/media.tsv: byte 0xe9 on line 2 is not UTF-8; read as Windows-1252 (cp1252)" in output
    vocabulary = json.loads(re.search(r"--vocabulary '(\{.*?\})'", output)[1])
    assert vocabulary["hotwords"] == "Müller Zyntrax Quorvel Crème brûlée"
    (work / "in" / "Café.glossary.txt").write_bytes("Crème brûlée\n".encode("latin-1"))
    code, output = plan(work, "out/Café.en.srt")
    assert code == 0 and "note: in/Café.glossary.txt: byte 0xe8 on line 1 is not UTF-8" in output, output[-3000:]
    assert json.loads(re.search(r"--vocabulary '(\{.*?\})'", output)[1])["hotwords"] == "Müller Crème brûlée"


# 28: a replaced film is always seen ------------------------------------------------------
def test_28_a_film_replaced_by_cp_p_of_the_same_size_rebuilds(work, tmp_path):
    film = matrix_media.speech(work / "in" / "film.wav", "The first version of this film.")
    snakemake(work, "out/film.en.srt")
    other = tmp_path / "other.wav"
    data = bytearray(film.read_bytes())
    data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)  # the second half silent: same size
    other.write_bytes(bytes(data))
    shutil.copy2(film, tmp_path / "stamp")  # the original's mtime
    shutil.copyfile(other, film)
    shutil.copystat(tmp_path / "stamp", film)  # `cp -p`: same size, same mtime
    assert planned_jobs(work, "out/film.en.srt").get("demux_audio") == 1


# 29: the config file and the targets --------------------------------------------------
def test_29_a_yaml_mistake_names_the_file_and_line(work):
    config = work / "config" / "config.yaml"
    lines = config.read_text().splitlines()
    lines[5:5] = ["subtitle_formats: [srt", "source_language: en"]  # the list left open on line 6
    config.write_text("\n".join(lines) + "\n")
    code, output = plan(work)
    assert code == 1 and "Traceback" not in output, output[-3000:]
    [line] = error_lines(output)
    assert line.startswith("error: config/config.yaml, line 7, column 16: expected ',' or ']'"), line
    assert "(while parsing a flow sequence on line 6); fix the YAML" in line


def test_29b_a_burn_in_asked_as_mkv_gets_the_projects_line(work):
    matrix_media.speech(work / "in" / "x.mp4", "Hello there.")
    assert_one_line_before_any_job(
        *plan(work, "out/x.en.burned.mkv"), r"error: out/x\.en\.burned\.mkv: a burn-in is always mp4; ask for out/x\.en\.burned\.mp4"
    )


# 30: the injection the issue found, built for real --------------------------------------
def test_30_a_film_named_as_shell_code_builds_with_report_and_shots_and_runs_nothing(work):
    name = "c$(touch PWNED)"
    update_config(work, {"qc_report": True, "shots": {"activate": True}})
    matrix_media.speech(work / "in" / f"{name}.mp4", "Hello there, this is a short film.")
    snakemake(work)
    assert (work / "work" / "report" / f"{name}.summary.html").exists()
    assert (work / "work" / "shots" / f"{name}.json").exists()
    assert (work / "out" / f"{name}.mp4").exists()
    assert not list(work.rglob("PWNED"))


def test_29c_a_yaml_mistake_in_a_configfile_names_the_file_and_line(work, tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("asr:\n  beam_size: 3\n  model: [base\n")
    code, output = plan(work, "--configfile", str(extra))
    assert code == 1 and "Traceback" not in output, output[-3000:]
    [line] = error_lines(output)
    assert line.startswith(f"error: {extra}, line 4, column 1: expected ',' or ']'"), line
