"""scripts/model_fetch.py against a hub served on 127.0.0.1 (tests/tools/local_hub.py): what a
fetch leaves in model_dir, what it says while it runs, and what it refuses."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from subtitles_workflow.io import StageError
from subtitles_workflow.model_manifest import hash_folder
from tools.local_hub import LocalHub

import model_fetch

REPO = "Systran/faster-whisper-tiny"
FILES = {
    "config.json": b'{"alignment_heads": [[2, 2]], "lang_ids": [1, 2]}',
    "model.bin": bytes(range(256)) * 400,  # 102,400 bytes: an "LFS" file
    "tokenizer.json": b'{"model": {}}',
    "vocabulary.txt": b"a\nb\n",
    "README.md": b"# not fetched",
}


@pytest.fixture
def hub(monkeypatch):
    hub = LocalHub()
    hub.publish(REPO, FILES)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", "/nonexistent-hf-home")  # no token file of this machine's
    monkeypatch.setattr(model_fetch, "ATTEMPTS", 2)
    yield hub
    hub.close()


def fetch(model_dir: Path, revision: str = "", expected: str | None = None, slug: str = "Systran--faster-whisper-tiny"):
    return model_fetch.fetch(REPO, revision, "faster-whisper", model_dir / "hub" / f"{slug}.json", expected)


def leftovers(model_dir: Path) -> list[str]:
    """What a fetch left in model_dir/hub besides the manifest, the content folder and the
    record of fetched commits."""
    return sorted(p.name for p in (model_dir / "hub").iterdir() if ".staging-" in p.name)


def test_a_fetch_lays_out_the_files_and_writes_the_manifest_last(hub, tmp_path):
    manifest = fetch(tmp_path)
    path = tmp_path / "hub" / "Systran--faster-whisper-tiny.json"
    assert json.loads(path.read_text()) == manifest
    assert manifest["source"] == {"hub": REPO, "revision": None, "commit": hub.repos[REPO]["main"]}
    folder = tmp_path / "hub" / manifest["folder"]
    assert manifest["folder"] == f"Systran--faster-whisper-tiny.{manifest['sha256'][:16]}"
    assert sorted(manifest["files"]) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    assert hash_folder(folder) == manifest["files"]
    assert (folder / "model.bin").read_bytes() == FILES["model.bin"]
    assert manifest["size"] == sum(len(FILES[name]) for name in manifest["files"])
    assert leftovers(tmp_path) == []
    assert oct(folder.stat().st_mode & 0o777) != oct(0o700)  # readable by others sharing model_dir


def test_progress_is_status_lines_with_bytes_rate_and_time_left(hub, tmp_path, monkeypatch, capfd):
    monkeypatch.setattr(model_fetch, "STATUS_SECONDS", 0.2)
    hub.throttle = 100_000  # bytes a second: about 1 s for model.bin
    fetch(tmp_path)
    lines = capfd.readouterr().err.splitlines()
    status = [line for line in lines if line.startswith("status: fetching Systran/faster-whisper-tiny: ")]
    assert len(status) >= 3, lines
    assert status[0].startswith("status: fetching Systran/faster-whisper-tiny: 0.0 of 0.1 MB (0%)")
    assert any("MB/s, about " in line and " left" in line for line in status[1:-1]), status
    assert "0.1 of 0.1 MB (100%)" in status[-1]
    (done,) = [line for line in lines if line.startswith("fetched ")]
    assert done.startswith("fetched Systran/faster-whisper-tiny at ") and ": 4 files, 0.1 MB, downloaded in " in done


def test_the_same_commit_fetched_again_downloads_nothing_and_writes_the_same_bytes(hub, tmp_path):
    fetch(tmp_path)
    path = tmp_path / "hub" / "Systran--faster-whisper-tiny.json"
    first = path.read_bytes()
    path.unlink()  # as Snakemake removes an output before its job runs again
    downloads = sum(n for p, n in hub.requests.items() if "/resolve/" in p)
    fetch(tmp_path)
    assert path.read_bytes() == first
    assert sum(n for p, n in hub.requests.items() if "/resolve/" in p) == downloads


def test_a_new_commit_is_new_content_in_a_new_folder(hub, tmp_path):
    old = fetch(tmp_path)
    hub.publish(REPO, {**FILES, "config.json": b'{"alignment_heads": [[2, 2]], "lang_ids": [1, 2, 3]}'})
    new = fetch(tmp_path)
    assert new["source"]["commit"] != old["source"]["commit"] and new["sha256"] != old["sha256"]
    assert (tmp_path / "hub" / old["folder"]).is_dir() and (tmp_path / "hub" / new["folder"]).is_dir()  # a running job may load the old one


def test_a_pinned_revision_is_fetched_and_recorded(hub, tmp_path):
    first = hub.repos[REPO]["main"]
    hub.publish(REPO, {**FILES, "vocabulary.txt": b"a\nb\nc\n"})
    manifest = fetch(tmp_path, revision=first, slug=f"Systran--faster-whisper-tiny@{first}")
    assert manifest["source"] == {"hub": REPO, "revision": first, "commit": first}
    assert manifest["model"] == f"{REPO}@{first}"
    with pytest.raises(StageError, match=r"^model Systran/faster-whisper-tiny: the hub has no revision 'v9'; correct the @revision$"):
        fetch(tmp_path, revision="v9", slug="Systran--faster-whisper-tiny@v9")


def test_a_download_that_stops_halfway_leaves_nothing_trusted(hub, tmp_path):
    hub.truncate = {"model.bin"}
    with pytest.raises(StageError) as err:
        fetch(tmp_path)
    assert "model Systran/faster-whisper-tiny: model.bin: the download stopped (51200 of 102400 bytes) 2 times" in str(err.value)
    hub_dir = tmp_path / "hub"
    assert not (hub_dir / "Systran--faster-whisper-tiny.json").exists()
    assert sorted(p.name for p in hub_dir.iterdir()) == []  # no folder, no staging, no record
    hub.truncate = set()
    assert fetch(tmp_path)["files"]["model.bin"]


def test_a_killed_fetchs_staging_folder_is_removed_by_the_next(hub, tmp_path):
    stale = tmp_path / "hub" / ".Systran--faster-whisper-tiny.staging-999999999-abc"
    stale.mkdir(parents=True)
    (stale / "model.bin").write_bytes(b"half")
    fetch(tmp_path)
    assert not stale.exists()


def test_bytes_that_are_not_what_the_hub_lists_are_refused(hub, tmp_path):
    hub.corrupt = {"model.bin"}
    with pytest.raises(StageError, match="model.bin: its sha256 is not the one the hub lists; nothing was kept"):
        fetch(tmp_path)
    assert list((tmp_path / "hub").iterdir()) == []


def test_a_model_whose_sha256_is_not_the_pinned_one_is_refused(hub, tmp_path):
    with pytest.raises(StageError) as err:
        fetch(tmp_path, expected="0" * 64)
    message = str(err.value)
    assert "\n" not in message and message.startswith("model Systran/faster-whisper-tiny (commit ")
    assert "not the " + "0" * 64 + " that model_sha256 expects; refusing it (nothing was kept)" in message
    assert list((tmp_path / "hub").iterdir()) == []
    good = fetch(tmp_path / "again")["sha256"]
    assert fetch(tmp_path, expected=good.upper())["sha256"] == good


def test_no_ctranslate2_model_is_one_line(hub, tmp_path):
    hub.publish("openai/whisper-tiny", {"config.json": b"{}", "model.safetensors": b"x" * 20})
    with pytest.raises(StageError, match=r"^model openai/whisper-tiny \(commit \w+\) has no CTranslate2 model.bin"):
        model_fetch.fetch("openai/whisper-tiny", "", "faster-whisper", tmp_path / "hub" / "openai--whisper-tiny.json", None)


def test_an_unknown_repository_and_an_unreachable_hub_are_one_line(hub, tmp_path, monkeypatch):
    with pytest.raises(StageError, match=r"^model nobody/nothing: no such repository on the hub \(http://127\.0\.0\.1:\d+\); check its name$"):
        model_fetch.fetch("nobody/nothing", "", "all", tmp_path / "hub" / "nobody--nothing.json", None)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(StageError, match=r"^model Systran/faster-whisper-tiny: cannot ask the hub \(http://127\.0\.0\.1:9\) for revision 'main'"):
        fetch(tmp_path)


def test_the_token_goes_to_the_hub_only(hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    request = model_fetch.request(f"{hub.url}/api/models/{REPO}")
    assert request.get_header("Authorization") == "Bearer hf_secret"
    handler = model_fetch.SameHostAuth()
    moved = handler.redirect_request(request, None, 302, "Found", {}, "https://cdn.example.org/file?signed=1")
    assert moved.get_header("Authorization") is None
    same = handler.redirect_request(request, None, 307, "Moved", {}, f"{hub.url}/api/models/other/name")
    assert same.get_header("Authorization") == "Bearer hf_secret"


def test_the_script_logs_to_its_log_and_says_the_error_there_too(hub, tmp_path, capfd):
    log = tmp_path / "fetch.log"
    status = model_fetch.run_cli(model_fetch.main, ["--repo", "nobody/nothing", "--files", "all", "--manifest",
                                                    str(tmp_path / "hub" / "nobody--nothing.json"), "--log", str(log)])  # fmt: skip
    assert status == 1
    text = log.read_text()
    assert "interpreter: " in text
    assert text.splitlines().count("error: model nobody/nothing: no such repository on the hub (" + hub.url + "); check its name") == 1
    assert os.path.exists(log)
