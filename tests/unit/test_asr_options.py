"""The asr options (scripts/subtitles_workflow/asr_options.py): exactly the schema's asr keys, no default
of their own, and a missing or unknown key is one line naming it."""

from __future__ import annotations

import dataclasses

import pytest

from project import NOT_ASR_OPTIONS, asr_options, schema_defaults
from subtitles_workflow.asr_options import AsrOptions
from subtitles_workflow.io import StageError


def test_every_schema_key_is_a_field_and_no_field_has_a_default():
    fields = {field.name for field in dataclasses.fields(AsrOptions)}
    assert fields == (set(schema_defaults("asr")) - set(NOT_ASR_OPTIONS)) | {"task"}
    assert all(field.default is dataclasses.MISSING for field in dataclasses.fields(AsrOptions))


def test_built_from_the_rules_json_with_the_vocabulary_merged():
    options = AsrOptions.from_json('{"backend": "faster-whisper", "batch_size": 8, "beam_size": 3, "compute_type": "int8", '
                                   '"condition_on_previous_text": true, "device": "cpu", "vad_filter": false}',
                                   '{"hotwords": "Zyntrax", "initial_prompt": ""}')  # fmt: skip
    assert (options.beam_size, options.vad_filter, options.hotwords, options.task) == (3, False, "Zyntrax", "transcribe")


def test_a_missing_key_is_named():
    raw = asr_options()
    del raw["beam_size"], raw["hotwords"]
    with pytest.raises(StageError, match="asr options lack beam_size, hotwords"):
        AsrOptions.from_mapping(raw)


def test_an_unknown_key_is_named():
    with pytest.raises(StageError, match="unknown asr options worker"):
        AsrOptions.from_mapping({**asr_options(), "worker": "auto"})


def test_the_translate_rule_sets_the_task():
    assert AsrOptions.from_mapping({**asr_options(), "task": "translate"}).task == "translate"


def test_a_round_trip_through_the_warm_worker_request():
    options = AsrOptions.from_mapping(asr_options(batch_size=8))
    assert AsrOptions.from_mapping(options.as_dict()) == options
