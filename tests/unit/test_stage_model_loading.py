"""How the optional stages load a model artifact's folder without the hub: a pyannote
pipeline's config.yaml that would download its models is refused in one line
(scripts/subtitles_workflow/pyannote_pipeline.py); a demucs folder holding one checkpoint is
that checkpoint (scripts/separate.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conftest import SCRIPTS
from subtitles_workflow.io import StageError
from subtitles_workflow.pyannote_pipeline import hub_models_named, load_pipeline

PIPELINE_3_1 = """pipeline:
  name: pyannote.audio.pipelines.SpeakerDiarization
  params:
    clustering: AgglomerativeClustering
    embedding: pyannote/wespeaker-voxceleb-resnet34-LM
    embedding_batch_size: 32
    segmentation: pyannote/segmentation-3.0
"""
SELF_CONTAINED = """pipeline:
  name: pyannote.audio.pipelines.SpeakerDiarization
  params:
    embedding: $model/embedding
    segmentation: segmentation/model
    clustering: VBxClustering
"""


def separate_module():
    spec = importlib.util.spec_from_file_location("separate_stage", SCRIPTS / "separate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_pipeline_naming_hub_models_is_refused_in_one_line_before_pyannote_loads(tmp_path):
    (tmp_path / "config.yaml").write_text(PIPELINE_3_1)
    assert hub_models_named(tmp_path) == ["pyannote/segmentation-3.0", "pyannote/wespeaker-voxceleb-resnet34-LM"]
    with pytest.raises(StageError) as raised:
        load_pipeline("pyannote/speaker-diarization-3.1", str(tmp_path), "pyannote pipeline", "diarize.model")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("pyannote pipeline pyannote/speaker-diarization-3.1: its config.yaml loads "
                              "pyannote/segmentation-3.0, pyannote/wespeaker-voxceleb-resnet34-LM from the hub")  # fmt: skip


def test_a_self_contained_pipeline_names_no_hub_model(tmp_path):
    (tmp_path / "segmentation").mkdir()
    (tmp_path / "segmentation" / "model").write_bytes(b"w")
    (tmp_path / "config.yaml").write_text(SELF_CONTAINED)
    assert hub_models_named(tmp_path) == []
    assert hub_models_named(tmp_path / "config.yaml") == []  # the config file itself as the model


def test_an_absent_pipeline_is_one_line(tmp_path):
    with pytest.raises(StageError, match=r"^pyannote VAD pipeline \(unset\) not found; its weights are not on PyPI"):
        load_pipeline("", "", "pyannote VAD pipeline", "vad.pyannote_model")


def test_a_folder_of_one_demucs_checkpoint_is_that_checkpoint_and_a_repository_is_not(tmp_path):
    separate = separate_module()
    (tmp_path / "stand-in.th").write_bytes(b"x")
    assert separate.checkpoint_of(tmp_path, "htdemucs") == tmp_path / "stand-in.th"
    assert separate.checkpoint_of(tmp_path / "stand-in.th", "htdemucs") == tmp_path / "stand-in.th"
    (tmp_path / "htdemucs.yaml").write_text("models: ['955717e8']\n")
    assert separate.checkpoint_of(tmp_path, "htdemucs") is None  # demucs' LocalRepo reads the bag
