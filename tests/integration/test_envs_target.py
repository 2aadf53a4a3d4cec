"""`snakemake envs` builds the envs the configured stages run on, and nothing a config does not
use (the default config's three, not all nine: 2.4 GB and two minutes saved); `snakemake
test_envs` builds what the test suite runs on; any env stays buildable by its stamp."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import copy_project, snakemake


@pytest.fixture
def work(tmp_path) -> Path:
    return copy_project(tmp_path / "project", venv_dir=str(tmp_path / "no-envs-yet"), model_dir=str(tmp_path / "models"))


def planned_envs(work: Path, *args: str) -> set[str]:
    done = snakemake(work, "-n", *args)
    return set(re.findall(r"wildcards: env=(\w[\w-]*)", done.stdout + done.stderr))


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ([], {"asr", "media", "subtitles"}),
        (["target_languages=[hi]"], {"asr", "media", "subtitles", "indictrans"}),
        (["target_languages=[fr]", "qc_report=true"], {"asr", "media", "subtitles", "translate", "report"}),
        # hi -> en: Whisper's own translate task, on the asr env; hi -> mr: IndicTrans2
        (["source_language=hi", "target_languages=[en,mr]"], {"asr", "media", "subtitles", "indictrans"}),
        (["align.activate=true", "vad.activate=true"], {"asr", "media", "subtitles", "align", "vad"}),
    ],
)
def test_envs_builds_only_what_the_config_uses(work, config, expected):
    args = ["--config", *config] if config else []
    assert planned_envs(work, "envs", *args) == expected


def test_a_film_of_its_own_language_pair_brings_its_translation_env(work):
    (work / "config" / "media.tsv").write_text("name\ttarget_languages\nfilm\tde\n")
    (work / "in" / "film.wav").write_bytes(b"")  # a film's name is all the plan reads here
    assert planned_envs(work, "envs") == {"asr", "media", "subtitles", "translate"}


def test_test_envs_and_single_envs_stay_buildable(work):
    assert planned_envs(work, "test_envs") == {
        "asr", "media", "subtitles", "report", "translate", "indictrans", "vad", "align", "separate"
    }  # fmt: skip
    assert planned_envs(work, str(Path(work.parent / "no-envs-yet" / "pyannote.env.json"))) == {"pyannote"}
