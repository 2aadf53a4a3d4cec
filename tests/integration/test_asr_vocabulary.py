"""A film's names and terms (issue 15): asr.initial_prompt / asr.hotwords in config, the media
sheet's columns and in/<name>.glossary.txt reach faster-whisper, and changing them re-runs asr
and what follows it, nothing else; what counts is their content, not where it is set or a file's
mtime. The case: a made-up product name the base model misspells without a hint
("Zintrax Quarvel") and spells right with one. asr.model by language picks the film's model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from conftest import copy_project, planned_jobs, requires_fixtures, snakemake, update_config

pytestmark = [requires_fixtures]

NAME = "Zyntrax Quorvel"
SPOKEN = f"Our new product is called the {NAME}, and it ships next week."
TARGET = "out/promo.en.srt"


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng not installed (scripts/install-system-deps.sh)")
    work = copy_project(tmp_path_factory.mktemp("vocabulary") / "project")
    subprocess.run(["espeak-ng", "-w", str(work / "in" / "promo.wav"), SPOKEN], check=True)
    return work


def transcript_text(work) -> str:
    document = json.loads((work / "work" / "asr" / "promo.json").read_text(encoding="utf-8"))
    return " ".join(segment["text"] for segment in document["segments"])


def test_the_base_model_misspells_the_product_name_without_a_hint(work):
    snakemake(work, TARGET)
    assert NAME not in transcript_text(work)


def test_hotwords_spell_it_right_and_rerun_only_asr_and_subtitles(work):
    update_config(work, {"asr": {"hotwords": NAME}})
    assert planned_jobs(work, TARGET) == {"asr_transcribe": 1, "timing_refine": 1, "subtitles_render": 1}
    snakemake(work, TARGET)
    assert NAME in transcript_text(work)
    assert NAME in (work / TARGET).read_text(encoding="utf-8")


def test_the_same_terms_from_a_glossary_change_nothing_and_its_mtime_neither(work):
    update_config(work, {"asr": {"hotwords": ""}})
    glossary = work / "in" / "promo.glossary.txt"
    glossary.write_text("# the client's product\nZyntrax\n\nQuorvel\n", encoding="utf-8")
    assert planned_jobs(work, TARGET) == {}
    os.utime(glossary, (1, 1))
    assert planned_jobs(work, TARGET) == {}


def test_a_new_glossary_term_reruns_asr(work):
    glossary = work / "in" / "promo.glossary.txt"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "Okonkwo\n", encoding="utf-8")
    assert planned_jobs(work, TARGET) == {"asr_transcribe": 1, "timing_refine": 1, "subtitles_render": 1}
    (work / "in" / "promo.glossary.txt").unlink()


def test_an_initial_prompt_in_the_media_sheet_spells_it_right(work):
    sheet = work / "config" / "media.tsv"
    sheet.write_text(f"name\tinitial_prompt\npromo\t{NAME}, a new product.\n", encoding="utf-8")
    assert planned_jobs(work, TARGET) == {"asr_transcribe": 1, "timing_refine": 1, "subtitles_render": 1}
    snakemake(work, TARGET)
    assert NAME in transcript_text(work)


def test_a_model_map_follows_the_films_language(work):
    update_config(work, {"asr": {"model": {"en": "base", "default": "tiny.en"}}})
    assert planned_jobs(work, TARGET) == {}
    update_config(work, {"asr": {"model": "tiny.en"}})  # update_config merges maps key by key
    update_config(work, {"asr": {"model": {"hi": "base", "default": "tiny.en"}}})
    jobs = planned_jobs(work, TARGET)
    assert {k: v for k, v in jobs.items() if k != "model_assemble"} == {"asr_transcribe": 1, "timing_refine": 1, "subtitles_render": 1}
    done = snakemake(work, "-n", "-p", TARGET)
    assert "--model tiny.en" in done.stdout and "faster-whisper-tiny.en.json" in done.stdout


def test_a_model_map_without_a_default_fails_in_one_line(work):
    update_config(work, {"asr": {"model": "base"}})
    update_config(work, {"asr": {"model": {"hi": "base"}}})
    done = snakemake(work, "-n", TARGET, check=False)
    assert done.returncode == 1
    assert "config key asr.model" in done.stderr
    update_config(work, {"asr": {"model": "base"}})
