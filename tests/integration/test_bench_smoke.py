"""Smoke run of every benchmark (bench/run_all.py --quick): tiny inputs, so the figures are not
measurements and a target may be missed; what must hold is that each benchmark runs to the end
on the real model and media and reports a ratio, without touching the checkout's recorded
results. The timed runs themselves live in bench/, never in tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import PROJECT, requires_fixtures

BENCHMARKS = ("asr_overhead", "batch_clips", "batched", "orchestration", "peak_rss", "pipeline", "real_speech", "real_speech_hindi")


@requires_fixtures
def test_every_benchmark_runs_on_tiny_inputs(tmp_path):
    readme = (PROJECT / "bench" / "README.md").read_text()
    results_dir = tmp_path / "results"
    env = dict(os.environ, BENCH_SOURCE="worktree", BENCH_TMP=str(tmp_path), BENCH_RESULTS=str(results_dir))
    done = subprocess.run([sys.executable, str(PROJECT / "bench" / "run_all.py"), "--quick", "--no-readme"],
                          cwd=PROJECT, env=env, capture_output=True, text=True, timeout=1200)  # fmt: skip
    output = (done.stdout + done.stderr)[-6000:]
    assert done.returncode in (0, 1), output  # 1: a quick run missed a target
    record = json.loads((results_dir / "latest.json").read_text())
    assert record["complete"] and not record["failures"], output
    results = {r["id"]: r for r in record["results"]}
    assert sorted(results) == list(BENCHMARKS), output
    for result in results.values():
        assert result["figures"] and result["ratio"] > 0, result
        assert result["met"] in ((None,) if result["target"] is None else (True, False)), result
    assert (PROJECT / "bench" / "README.md").read_text() == readme
