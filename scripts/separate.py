"""separate: isolate the vocals of the demuxed audio with demucs (helps ASR on films with music).

Demucs weights are not on PyPI: `separate.model` is a local checkpoint (a demucs `.th` file), a
local model repository directory with `--name` (e.g. htdemucs), or a hub repository holding
either; the workflow fetches (or records) it once as a model artifact (rules/models.smk), and
`--model-path` is its manifest: this stage loads what the manifest names (demucs' LocalRepo or
load_model, never its remote repository). The 16 kHz mono input is
resampled to the model's rate, separated in blocks (memory stays flat on long films), and the
vocals are written back as 16 kHz mono PCM, the same contract as the demux output.
"""

from __future__ import annotations

import argparse
import logging
import time
import wave
from pathlib import Path

import numpy as np

from subtitles_workflow.hardware import resolve_device
from subtitles_workflow.io import StageError, atomic_path, run_cli, setup_logging
from subtitles_workflow.model_source import manifest_folder

SAMPLE_RATE = 16_000
BLOCK_SECONDS = 300
log = logging.getLogger("stage")


def checkpoint_of(path: Path, name: str) -> Path | None:
    """The one checkpoint to load: `path` itself, or the only `.th` file of a folder that is no
    model repository for `name` (no `<name>.yaml`: a hub repository holding one checkpoint)."""
    if path.is_file():
        return path
    checkpoints = sorted(path.glob("*.th"))
    if not (path / f"{name}.yaml").exists() and len(checkpoints) == 1:
        return checkpoints[0]
    return None


def load_separator(model: str, name: str, folder: str = ""):
    """`folder` is what is loaded (the model artifact's); `model` the model as configured."""
    from demucs.pretrained import get_model
    from demucs.states import load_model

    path = Path(folder or model).expanduser()
    if not model or not path.exists():
        raise StageError(
            f"demucs model {model or '(unset)'} not found; demucs weights are not on PyPI: download a "
            "checkpoint (e.g. htdemucs) where the internet is reachable and set separate.model to its path"
        )
    checkpoint = checkpoint_of(path, name)
    separator = load_model(checkpoint) if checkpoint else get_model(name=name, repo=path)
    if "vocals" not in separator.sources:
        raise StageError(f"demucs model {model} has no vocals source (sources: {', '.join(separator.sources)})")
    return separator.eval()


def isolate_vocals(samples: np.ndarray, separator, shifts: int, device: str) -> np.ndarray:
    """16 kHz mono float32 -> 16 kHz mono vocals."""
    import julius
    import torch
    from demucs.apply import apply_model

    mix = torch.from_numpy(samples)[None].repeat(separator.audio_channels, 1)
    mix = julius.resample_frac(mix, SAMPLE_RATE, separator.samplerate)
    reference = mix.mean(0)
    mean, std = reference.mean(), reference.std() + 1e-8
    with torch.inference_mode():
        sources = apply_model(separator, ((mix - mean) / std)[None], shifts=shifts, split=True, overlap=0.25, device=device)
    vocals = sources[0, separator.sources.index("vocals")] * std + mean
    return julius.resample_frac(vocals.mean(0), separator.samplerate, SAMPLE_RATE).numpy()


def separate(audio: Path, output: Path, model: str, name: str, shifts: int, device: str, folder: str = "") -> None:
    separator = load_separator(model, name, folder)
    device, why = resolve_device(device, backend="torch")
    log.info("demucs %s on %s (%s)", model, device, why)
    started = time.monotonic()
    with wave.open(str(audio), "rb") as source, atomic_path(output) as tmp, wave.open(str(tmp), "wb") as sink:
        if source.getframerate() != SAMPLE_RATE or source.getnchannels() != 1:
            raise StageError(f"{audio}: expected 16 kHz mono (the demux stage's output); re-run demux")
        sink.setnchannels(1)
        sink.setsampwidth(2)
        sink.setframerate(SAMPLE_RATE)
        log.debug(
            "sources %s, vocals kept; %d shift(s); %d s blocks at %d Hz, each back to 16 kHz mono",
            ", ".join(separator.sources), shifts, BLOCK_SECONDS, separator.samplerate,
        )  # fmt: skip
        while chunk := source.readframes(BLOCK_SECONDS * SAMPLE_RATE):
            samples = np.frombuffer(chunk, dtype=np.int16).astype(np.float32) / 32768.0
            vocals = isolate_vocals(samples, separator, shifts, device)[: len(samples)]
            vocals = np.pad(vocals, (0, len(samples) - len(vocals)))  # resampling may drop a sample
            sink.writeframes((np.clip(vocals, -1, 1) * 32767).astype(np.int16).tobytes())
    log.info("vocals of %s in %.1f s", audio, time.monotonic() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--model", default="", help="demucs checkpoint (.th), model repository directory or hub id, as configured")
    parser.add_argument("--model-path", default="", help="the model's manifest (rules/models.smk): what it names is loaded")
    parser.add_argument("--name", default="htdemucs", help="model name inside a repository directory")
    parser.add_argument("--shifts", type=int, default=1)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    folder = manifest_folder(args.model_path) if args.model_path else ""
    separate(args.audio, args.output, args.model, args.name, args.shifts, args.device, folder)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
