"""Load a pyannote pipeline (diarize, and vad's pyannote backend) from the folder its model
artifact names (rules/models.smk), never from the hub.

What is honest here, and what is not: a pipeline is a config.yaml that names the models it runs.
A self-contained pipeline (pyannote 4's, e.g. pyannote/speaker-diarization-community-1: its
config names `$model/segmentation`, folders of its own repository) is fetched whole, with every
file's sha256, and loads from the folder with no network. An older one (pyannote 3.1's
speaker-diarization-3.1) names other hub repositories (pyannote/segmentation-3.0, ...), which
`Pipeline.from_pretrained` would download at load time, inside the stage job, unknown to the
manifest. That is refused in one line (hub_models_named) rather than done: fetch those models
too, and give the pipeline as a local directory whose config.yaml names their local folders
(then the manifest covers the config, not the models it points at: a changed model there is
not seen; a self-contained pipeline avoids that). The hub is switched off for the process
(HF_HUB_OFFLINE=1) before pyannote is imported, so nothing else is downloaded either.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from subtitles_workflow.io import StageError

# A hub repository id as a pipeline's config.yaml names a model (owner/name, no path prefix).
HUB_REFERENCE = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")


def config_file(path: Path) -> Path:
    """The pipeline's config.yaml: `path` itself, or the one in the folder."""
    return path if path.is_file() else path / "config.yaml"


def hub_models_named(path: Path) -> list[str]:
    """The hub repositories the pipeline's config.yaml names as its models (values under
    pipeline.params that are `owner/name` and no file or folder beside the config)."""
    import yaml

    try:
        document: Any = yaml.safe_load(config_file(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise StageError(f"pyannote pipeline {path}: its config.yaml cannot be read ({err})") from None
    params = ((document or {}).get("pipeline") or {}).get("params") or {}
    here = config_file(path).parent
    return sorted(
        value
        for value in params.values()
        if isinstance(value, str) and HUB_REFERENCE.match(value) and not (here / value).exists()
    )


def load_pipeline(name: str, folder: str, what: str, key: str):
    """The pyannote Pipeline in `folder` (the model artifact's), `name` as configured; one line
    when the folder is not there or its config would download models."""
    path = Path(folder or name).expanduser()
    if not name or not path.exists():
        raise StageError(
            f"{what} {name or '(unset)'} not found; its weights are not on PyPI: set {key} to a hub "
            "repository (fetched once, where the hub is reachable) or a local pipeline directory"
        )
    remote = hub_models_named(path)
    if remote:
        raise StageError(
            f"{what} {name}: its config.yaml loads {', '.join(remote)} from the hub, which a stage never "
            f"does; use a self-contained pipeline (pyannote/speaker-diarization-community-1), or set {key} "
            "to a local directory whose config.yaml names those models' local folders"
        )
    os.environ["HF_HUB_OFFLINE"] = "1"  # read when huggingface_hub is imported, below
    from pyannote.audio import Pipeline

    return Pipeline.from_pretrained(str(path))
