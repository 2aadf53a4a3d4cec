"""Where a loaded model came from, for the artifacts a stage writes (the transcript's `model`).

A stage loads the folder its model's manifest names (`<slug>.<content>` in model_dir, beside the
manifest `<slug>.json`: scripts/subtitles_workflow/model_manifest.py); the manifest says where
the files came from and what their content is. Kept apart from model_manifest.py so that the
stages importing it re-run only when this small reader changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def model_source(model_path: str) -> dict[str, Any] | None:
    """The source (PyPI packages, hub repository and commit, or local path) and content sha256
    recorded for the model folder `model_path`; None for a model loaded without a manifest."""
    folder = Path(model_path)
    stem, dot, _ = folder.name.rpartition(".")
    if not dot:
        return None
    try:
        manifest = json.loads((folder.parent / f"{stem}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("folder") != folder.name:
        return None  # a manifest that has moved on to other content since: no claim
    return {**manifest.get("source", {}), "sha256": manifest.get("sha256")}


def manifest_folder(manifest_path: str) -> str:
    """The folder a model's manifest names, beside it: what a stage loads."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    return str(Path(manifest_path).parent / manifest["folder"])
