"""`debug` changes logs only (issue 28, item 5): it reaches the stages through the environment
(never a param of a rule), a stage logs its own decisions at DEBUG with it (libraries stay at
INFO), and the warm ASR worker logs at the level of the job that asks, relaying its DEBUG lines."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from conftest import PROJECT
from subtitles_workflow import io as stage_io

DEBUG_VARIABLE = "SUBTITLES_DEBUG"  # what the workflow sets (rules/common/config.smk), docs/configuration.md's word (the schema's debug)


@pytest.fixture
def stage_logger():
    """The stage logger's level as it was (setup_logging sets it)."""
    log = logging.getLogger("stage")
    level = log.level
    yield log
    log.setLevel(level)


@pytest.mark.parametrize(
    "variable, flag, debug",
    [(None, False, False), ("1", False, True), (None, True, True), ("0", False, False), ("1", True, True)],
)
def test_a_stage_logs_at_debug_when_the_workflow_or_its_command_line_says(monkeypatch, stage_logger, variable, flag, debug):
    if variable is None:
        monkeypatch.delenv(DEBUG_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(DEBUG_VARIABLE, variable)
    assert getattr(stage_io, "DEBUG_VARIABLE", None) == DEBUG_VARIABLE
    assert stage_io.setup_logging(flag) is stage_logger
    assert stage_logger.isEnabledFor(logging.DEBUG) is debug
    assert not logging.getLogger("matplotlib.font_manager").isEnabledFor(logging.DEBUG)  # libraries stay at INFO


def test_no_rule_takes_debug_as_a_param():
    """A param re-runs its job when it changes: debug must not be one (rules/common/config.smk
    passes it in the environment)."""
    rules = sorted((PROJECT / "rules").rglob("*.smk"))
    assert rules
    for path in rules:
        text = path.read_text()
        assert not re.search(r"params\.debug|\"debug\":|debug_flag", text), path


def relayed(request: dict, monkeypatch) -> list[str]:
    """The log lines a worker relays to the job for `request`, its transcribe() logging one
    DEBUG and one INFO line."""
    import asr_worker
    import subtitles_workflow.transcription as transcription

    def transcribe(audio, **settings):
        asr_worker.log.debug("a decision")
        asr_worker.log.info("progress")
        return {"segments": []}

    monkeypatch.setattr(transcription, "transcribe", transcribe)
    stream = io.BytesIO()
    reply = asr_worker.handle(request, stream)
    assert reply == {"ok": True, "document": {"segments": []}}
    return [json.loads(line)["log"] for line in stream.getvalue().decode().splitlines()]


REQUEST = {"audio": "clip.wav", "model_name": "base", "model_path": "models/base", "language": "en",
           "options": {"beam_size": 5}, "threads": 1, "speech_regions": None}  # fmt: skip


def test_the_warm_worker_logs_at_the_level_of_the_job_that_asks(monkeypatch, stage_logger):
    from subtitles_workflow.asr_options import AsrOptions

    monkeypatch.setattr(AsrOptions, "from_mapping", staticmethod(lambda options: options))
    stage_logger.setLevel(logging.INFO)  # as the worker starts (basicConfig INFO)
    with_debug = relayed({**REQUEST, "debug": True}, monkeypatch)
    assert any(" DEBUG [worker " in line and line.endswith("a decision") for line in with_debug), with_debug
    # The same worker, next asked by a job without debug: no DEBUG line relayed.
    without = relayed({**REQUEST, "debug": False}, monkeypatch)
    assert [line for line in without if " DEBUG " in line] == [] and any(line.endswith("progress") for line in without)
    # A job of an older release sends no "debug": INFO.
    assert [line for line in relayed(REQUEST, monkeypatch) if " DEBUG " in line] == []
    assert relayed({**REQUEST, "debug": True}, monkeypatch) and not stage_logger.isEnabledFor(logging.DEBUG)
