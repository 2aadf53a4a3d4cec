"""Hardware detection, per job (replaces a cached hardware file): which device and ASR
backend to use, and why. Every decision is logged by the caller."""

from __future__ import annotations

import platform


def is_apple_silicon() -> bool:
    return platform.system() == "Darwin" and platform.machine() == "arm64"


def cuda_devices() -> int:
    """CUDA devices visible to CTranslate2, else to torch; 0 when neither is installed."""
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count()
    except ImportError:
        pass
    try:
        import torch

        return torch.cuda.device_count()
    except ImportError:
        return 0


def nvidia_gpus_visible() -> int:
    """NVIDIA GPUs this process may use, from the driver's /proc entries and
    CUDA_VISIBLE_DEVICES: no CUDA library needed, so the workflow can decide `auto` itself."""
    import os
    from pathlib import Path

    gpus = Path("/proc/driver/nvidia/gpus")
    count = len(list(gpus.iterdir())) if gpus.is_dir() else 0
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        chosen = [d for d in visible.split(",") if d.strip() and not d.strip().startswith("-")]
        count = min(count, len(chosen))
    return count


def resolve_options_here(options: dict, backend: str) -> dict:
    """ASR options with every `auto` (device, compute_type, batch_size) resolved for this
    machine, so that equal settings give equal options: `batch_size: 8` and `auto` on a CPU
    are the same param and re-run nothing."""
    if options.get("device", "auto") == "auto":
        if nvidia_gpus_visible() > 0:
            device = "cuda"
        elif is_apple_silicon() and backend != "faster-whisper":
            device = "mps"
        else:
            device = "cpu"
    else:
        device = options["device"]
    return {
        **options,
        "device": device,
        "compute_type": resolve_compute_type(options.get("compute_type", "auto"), device),
        "batch_size": resolve_batch_size(options.get("batch_size", "auto"), device),
    }


def resolve_device(device: str, backend: str = "faster-whisper") -> tuple[str, str]:
    """`auto` -> cuda when a GPU is visible, mps on Apple Silicon (for torch/MLX backends;
    CTranslate2 has no mps), else cpu. Returns (device, reason)."""
    if device != "auto":
        return device, "set in config"
    if cuda_devices() > 0:
        return "cuda", "a CUDA device is visible"
    if is_apple_silicon() and backend != "faster-whisper":
        return "mps", "Apple Silicon"
    return "cpu", "no GPU visible"


def resolve_compute_type(compute_type: str, device: str) -> str:
    """`auto` -> float16 on a GPU, int8 on CPU (CTranslate2's fastest exact-enough types)."""
    if compute_type != "auto":
        return compute_type
    return "float16" if device in ("cuda", "mps") else "int8"


def resolve_backend(backend: str) -> str:
    """`auto` -> mlx-whisper on Apple Silicon, faster-whisper elsewhere."""
    if backend != "auto":
        return backend
    return "mlx-whisper" if is_apple_silicon() else "faster-whisper"


# BatchedInferencePipeline where it is faster than sequential decoding. On a 2-core CPU (base,
# int8) batch 8 ran at RTF 0.049 vs 0.106 sequential with a lower WER, within 2 % of batch 16
# at 180 MB less memory; on an H100 (base, float16) batch 8, 16 and 32 ran at RTF 0.005-0.007
# vs 0.020 sequential; 16 is faster-whisper's own advice for GPUs (bench/b6_batched.py).
AUTO_BATCH_SIZE = {"cuda": 16, "cpu": 8}


def resolve_batch_size(batch_size: int | str, device: str) -> int:
    """`auto` -> the batch size measured fastest for the device (0 = sequential decoding)."""
    if batch_size != "auto":
        return int(batch_size)
    return AUTO_BATCH_SIZE.get(device, 0)
