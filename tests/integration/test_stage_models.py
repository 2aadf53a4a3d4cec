"""The optional stages' models as build artifacts, as Whisper's and translation's are
(tests/integration/test_models.py): alignment (wav2vec2), separation (demucs), diarization and
pyannote VAD. A hub repository is fetched once by rule model_fetch however many films load it,
a local path is recorded by content; the stage depends on the manifest and loads the folder it
names, never the hub. Against a hub served on 127.0.0.1 (tests/tools/local_hub.py, through
HF_ENDPOINT) holding the tiny models the tests build (no real alignment, demucs or pyannote
weights are reachable here). The tests run in file order on one project copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT, copy_project, fixture, model_dir_with_base, one_error_line, planned_jobs, requires_fixtures, snakemake, update_config
from project import job_counts
from tools.local_hub import LocalHub

pytestmark = [requires_fixtures]

WAV2VEC2 = "test-org/tiny-wav2vec2"
DEMUCS = "test-org/tiny-demucs"
PIPELINE = "test-org/tiny-pyannote-pipeline"
DEAD_HUB = "http://127.0.0.1:9"  # nothing listens there: a machine with no network
TOOLS = PROJECT / "tests" / "tools"


def build(env: str, tool: str, out: Path) -> Path:
    python = PROJECT / ".venvs" / env / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{env} env not built (snakemake test_envs)")
    subprocess.run([str(python), str(TOOLS / tool), str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def tiny_wav2vec2(tmp_path_factory) -> Path:
    return build("align", "make_tiny_wav2vec2.py", tmp_path_factory.mktemp("wav2vec2") / "tiny-wav2vec2")


@pytest.fixture(scope="module")
def tiny_demucs(tmp_path_factory) -> Path:
    return build("separate", "make_tiny_demucs.py", tmp_path_factory.mktemp("demucs") / "stand-in.th")


def files_of(folder: Path) -> dict[str, Path]:
    return {path.name: path for path in folder.iterdir() if path.is_file()}


@pytest.fixture(scope="module")
def hub(tiny_wav2vec2, tiny_demucs):
    hub = LocalHub()
    hub.publish(WAV2VEC2, {**files_of(tiny_wav2vec2), "README.md": b"# a model card"})
    hub.publish(DEMUCS, {"stand-in.th": tiny_demucs})
    yield hub
    hub.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, hub) -> Path:
    """Two films, a model_dir of their own holding the bundled base model (linked)."""
    root = tmp_path_factory.mktemp("stage-models")
    work = copy_project(root / "project", model_dir=str(model_dir_with_base(root)))
    for name in ("a", "b"):
        shutil.copy2(fixture("en/jfk.flac"), work / "in" / f"{name}.flac")
    snakemake(work)
    return work


def online(hub: LocalHub) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    return {**env, "HF_ENDPOINT": hub.url, "HF_HOME": "/nonexistent-hf-home"}


def offline() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    return {**env, "HF_ENDPOINT": DEAD_HUB, "HF_HUB_OFFLINE": "1", "HF_HOME": "/nonexistent-hf-home"}


def hub_manifest(work: Path, slug: str) -> dict:
    return json.loads((work.parent / "models" / "hub" / f"{slug}.json").read_text())


def downloads(hub: LocalHub, repo: str) -> int:
    return sum(count for path, count in hub.requests.items() if path.startswith(f"/{repo}/resolve/"))


def alignment(work: Path, name: str) -> dict:
    return json.loads((work / "work" / "align" / f"{name}.json").read_text())["alignment"]


def refused_before_any_job(done: subprocess.CompletedProcess) -> str:
    """one_error_line, and no job started."""
    line = one_error_line(done)
    output = done.stdout + done.stderr
    assert "localrule " not in output and "\nrule " not in output, output[-3000:]
    return line


def test_an_alignment_model_on_the_hub_is_fetched_once_for_two_films_and_loaded_from_its_folder(workdir, hub, tiny_wav2vec2):
    update_config(workdir, {"align": {"activate": True, "models": {"en": WAV2VEC2}}})
    assert planned_jobs(workdir, "models", env=online(hub)) == {"model_fetch": 1, "models": 1}
    done = snakemake(workdir, env=online(hub))
    jobs = job_counts(done.stdout + done.stderr)
    assert jobs["model_fetch"] == 1 and jobs["align_words"] == 2, jobs
    assert downloads(hub, WAV2VEC2) == len(files_of(tiny_wav2vec2))  # each file once, no model card
    manifest = hub_manifest(workdir, "test-org--tiny-wav2vec2")
    assert sorted(manifest["files"]) == sorted(files_of(tiny_wav2vec2))
    assert manifest["source"] == {"hub": WAV2VEC2, "revision": None, "commit": hub.repos[WAV2VEC2]["main"]}
    for name in ("a", "b"):
        aligned = alignment(workdir, name)
        assert aligned["status"] == "aligned" and aligned["aligned_words"] > 0 and aligned["model"] == WAV2VEC2
        assert aligned["source"] == {**manifest["source"], "sha256": manifest["sha256"]}
    # The summary names what was fetched, and its size.
    summary = done.stderr[done.stderr.rindex("summary: "):]
    size = f"{manifest['size'] / 1e6:.1f} MB"
    assert f"  fetched:    {WAV2VEC2} at {manifest['source']['commit'][:12]} ({size})" in summary, summary


def test_a_fetched_alignment_model_is_used_offline(workdir, hub):
    (workdir / "work" / "align" / "a.json").unlink()
    (workdir / "out" / "a.en.srt").unlink()
    asked = sum(hub.requests.values())
    done = snakemake(workdir, env=offline())
    assert job_counts(done.stdout + done.stderr) == {"align_words": 1, "subtitles_render": 1, "all": 1}
    assert sum(hub.requests.values()) == asked
    assert alignment(workdir, "a")["source"]["hub"] == WAV2VEC2


def test_a_new_alignment_model_revision_reruns_align_and_what_follows_and_nothing_else(workdir, hub, tiny_wav2vec2):
    files = files_of(tiny_wav2vec2)
    config = json.loads(files["config.json"].read_text())
    hub.publish(WAV2VEC2, {**files, "config.json": json.dumps({**config, "revision_note": "b"}).encode()})
    snakemake(workdir, "models", "--forcerun", "model_fetch", env=online(hub))
    assert planned_jobs(workdir, env=offline()) == {"align_words": 2, "subtitles_render": 2, "all": 1}
    snakemake(workdir, env=offline())
    assert alignment(workdir, "b")["source"]["commit"] == hub.repos[WAV2VEC2]["main"]
    before = (workdir.parent / "models" / "hub" / "test-org--tiny-wav2vec2.json").read_bytes()
    snakemake(workdir, "models", "--forcerun", "model_fetch", env=online(hub))  # the same revision again
    assert (workdir.parent / "models" / "hub" / "test-org--tiny-wav2vec2.json").read_bytes() == before
    assert planned_jobs(workdir, env=offline()) == {}


def test_an_absent_stage_model_with_no_network_is_one_line(workdir, hub):
    old = next(iter(hub.history[WAV2VEC2] - {hub.repos[WAV2VEC2]["main"]}))
    pinned = f"{WAV2VEC2}@{old}"
    done = snakemake(workdir, "--config", "align=" + json.dumps({"activate": True, "models": {"en": pinned}}), env=offline(), check=False)
    line = refused_before_any_job(done)
    assert line.startswith(f"error: model {pinned} is not in {workdir.parent / 'models'} and the Hugging Face hub ")


def test_a_stage_model_sha256_mismatch_is_one_line(workdir):
    wrong = "0" * 64
    done = snakemake(workdir, "--config", "model_sha256=" + json.dumps({WAV2VEC2: wrong}), env=offline(), check=False)
    line = refused_before_any_job(done)
    assert line.startswith(f"error: model {WAV2VEC2} (") and f"not the {wrong} that model_sha256 expects" in line


def test_a_local_alignment_model_directory_is_known_by_content(workdir, tiny_wav2vec2):
    local = workdir / "my-wav2vec2"
    shutil.copytree(tiny_wav2vec2, local)
    update_config(workdir, {"align": {"models": {"en": "my-wav2vec2"}}})
    done = snakemake(workdir, env=offline())
    jobs = job_counts(done.stdout + done.stderr)
    assert jobs["align_words"] == 2 and "model_fetch" not in jobs, jobs
    (manifest_file,) = (workdir.parent / "models" / "local").glob("my-wav2vec2-*.json")
    manifest = json.loads(manifest_file.read_text())
    assert manifest["source"] == {"local": "my-wav2vec2"}
    assert alignment(workdir, "a")["source"] == {"local": "my-wav2vec2", "sha256": manifest["sha256"]}
    for path in local.iterdir():  # touched: the same content
        os.utime(path)
    assert planned_jobs(workdir, env=offline()) == {}
    config = json.loads((local / "config.json").read_text())
    (local / "config.json").write_text(json.dumps({**config, "note": "changed"}))
    assert planned_jobs(workdir, env=offline()) == {"align_words": 2, "subtitles_render": 2, "all": 1}
    update_config(workdir, {"align": {"activate": False, "models": {}}})


def test_a_demucs_checkpoint_on_the_hub_or_in_a_local_file_is_a_model_artifact(workdir, hub, tiny_demucs):
    update_config(workdir, {"separate": {"activate": True, "model": DEMUCS}})
    try:
        done = snakemake(workdir, "work/separate/a.vocals.wav", "work/separate/b.vocals.wav", env=online(hub))
        jobs = job_counts(done.stdout + done.stderr)
        assert jobs == {"model_fetch": 1, "separate_vocals": 2}, jobs
        assert downloads(hub, DEMUCS) == 1
        manifest = hub_manifest(workdir, "test-org--tiny-demucs")
        assert list(manifest["files"]) == ["stand-in.th"]
        assert (workdir / "work" / "separate" / "a.vocals.wav").stat().st_size > 0
        # A local checkpoint file: recorded by content, loaded with no hub at all.
        update_config(workdir, {"separate": {"model": str(tiny_demucs)}})
        done = snakemake(workdir, "work/separate/a.vocals.wav", env=offline())
        assert job_counts(done.stdout + done.stderr) == {"separate_vocals": 1}
        (local,) = (workdir.parent / "models" / "local").glob("stand-in.th-*.json")
        assert json.loads(local.read_text())["source"] == {"local": str(tiny_demucs)}
        os.utime(tiny_demucs)
        assert planned_jobs(workdir, "work/separate/a.vocals.wav", env=offline()) == {}
    finally:
        update_config(workdir, {"separate": {"activate": False, "model": ""}})


def test_a_pyannote_pipeline_on_the_hub_is_fetched_by_one_job_before_diarize_and_vad(workdir, hub):
    # No pyannote weights (nor env) here: that the stages depend on the fetched manifest is what
    # can be shown; loading from the folder is scripts/subtitles_workflow/pyannote_pipeline.py's.
    hub.publish(PIPELINE, {"config.yaml": b"pipeline:\n  name: x\n  params: {segmentation: $model/segmentation}\n",
                           "segmentation/pytorch_model.bin": b"weights"})  # fmt: skip
    update_config(workdir, {"diarize": {"activate": True, "model": PIPELINE},
                            "vad": {"activate": True, "backend": "pyannote", "pyannote_model": PIPELINE}})  # fmt: skip
    try:
        jobs = planned_jobs(workdir, env=online(hub))
        assert jobs["model_fetch"] == 1 and jobs["diarize_speakers"] == 2 and jobs["vad_segments"] == 2, jobs
        snakemake(workdir, "models", env=online(hub))
        manifest = hub_manifest(workdir, "test-org--tiny-pyannote-pipeline")
        assert sorted(manifest["files"]) == ["config.yaml", "segmentation/pytorch_model.bin"]
        dry = snakemake(workdir, "-n", "-p", env=offline())
        commands = [line for line in (dry.stdout + dry.stderr).splitlines() if "--model-path=" in line or "--pyannote-model-path=" in line]
        manifest_path = str(workdir.parent / "models" / "hub" / "test-org--tiny-pyannote-pipeline.json")
        assert any("diarize.py" in c and f"--model-path={manifest_path}" in c for c in commands), commands
        assert any("vad_pyannote.py" in c and f"--pyannote-model-path={manifest_path}" in c for c in commands), commands
    finally:
        update_config(workdir, {"diarize": {"activate": False, "model": ""},
                                "vad": {"activate": False, "backend": "silero", "pyannote_model": ""}})  # fmt: skip
