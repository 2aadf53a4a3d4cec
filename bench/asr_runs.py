"""ASR in the benchmarks: the device and options the asr stage decodes with here, the raw
faster-whisper baseline (bench/raw_asr.py on the asr env) it is compared with, and the
inference time the stage logs.

Stdlib only; the asr options come from what is measured (measured.py) and bench/project.py.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import project
from machine import ASR_PYTHON
from measured import project_config
from project import MODELS
from walltime import run_timed

RAW_ASR = Path(__file__).resolve().parent / "raw_asr.py"
# Where benchmarks 1, 2 and 6 decode: cpu (default: int8, as the issue specifies) or cuda (float16,
# what the asr stage's compute_type auto picks on a GPU). BENCH_DEVICE=cuda on a GPU machine.
DEVICE = os.environ.get("BENCH_DEVICE", "cpu")
COMPUTE_TYPE = {"cpu": "int8", "cuda": "float16"}[DEVICE]

ASR_LOG_DONE = re.compile(r"([\d.]+) s audio in ([\d.]+) s \(RTF")


def asr_log_inference(log_path: Path) -> float | None:
    """Inference seconds the asr stage logged (`... s audio in X s (RTF ...)`), if it did."""
    try:
        match = ASR_LOG_DONE.search(log_path.read_text(errors="replace"))
    except OSError:
        return None
    return float(match[2]) if match else None


def raw_asr(audios: list[Path], *, threads: int, options: dict[str, Any], model_path: Path | None = None,
            batch_sizes: list[int] | None = None, warmup: Path | None = None, text: bool = False,
            language: str = "en") -> tuple[float, dict[str, Any]]:  # fmt: skip
    """Run bench/raw_asr.py (plain faster-whisper) on the asr env; (process wall, its report)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        report = Path(handle.name)
    cmd = [str(ASR_PYTHON), str(RAW_ASR), "--model-path", str(model_path or MODELS / "faster-whisper-base"),
           "--threads", str(threads), "--language", language, "--options", json.dumps(options),
           "--report", str(report)]  # fmt: skip
    if batch_sizes is not None:
        cmd += ["--batch-sizes", *map(str, batch_sizes)]
    if warmup:
        cmd += ["--warmup", str(warmup)]
    if text:
        cmd.append("--text")
    cmd += ["--", *map(str, audios)]
    timed = run_timed(cmd)
    data = json.loads(report.read_text())
    report.unlink()
    return timed.wall_s, data


def asr_options(**overrides: Any) -> dict[str, Any]:
    """The asr options the rule would pass (config/config.yaml's asr section over the schema's
    defaults), on DEVICE with COMPUTE_TYPE, plus `overrides`."""
    import scripts_on_path  # noqa: F401
    from subtitles_workflow.hardware import resolve_batch_size  # the rule's own resolution of `auto`

    options = project.asr_options(project_config()["asr"], device=DEVICE, compute_type=COMPUTE_TYPE)
    options["batch_size"] = resolve_batch_size(options["batch_size"], DEVICE)
    return {**options, **overrides}
