"""The workflow passes Snakemake's own linter and snakefmt (as CI's super-linter would check)."""

from __future__ import annotations

import subprocess
import sys

from conftest import PROJECT


def test_snakefmt_check():
    done = subprocess.run([sys.executable, "-m", "snakefmt", "--check", "."], cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_snakemake_lint():
    done = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0 and "Lints for" not in done.stdout + done.stderr, done.stdout + done.stderr
