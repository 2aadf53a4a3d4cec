"""The warm ASR worker's identity: a worker started before an env rebuild is never reused."""

from __future__ import annotations

import os
import sys

from asr_worker import socket_path


def test_an_env_rebuild_gives_a_new_worker(tmp_path, monkeypatch):
    config = tmp_path / "pyvenv.cfg"
    config.write_text("home = /usr/bin\n")
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    options = {"device": "cpu", "compute_type": "int8"}
    before = socket_path("models/base", options, 2)
    assert socket_path("models/base", options, 2) == before
    os.utime(config, ns=(1, 1))  # the env rebuilt: a fresh pyvenv.cfg
    assert socket_path("models/base", options, 2) != before
    assert socket_path("models/base", {**options, "compute_type": "float32"}, 2) != socket_path("models/base", options, 2)
