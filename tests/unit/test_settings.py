"""Settings in one hop (issue 30): each rule names the config keys it passes, as a literal key
tuple beside the rule (grep a key in rules/ and you find the rule), and those tuples are
exactly what the stage's options dataclass takes and, with the keys routed elsewhere (listed
here with where they go), exactly the schema's keys. A key added to the schema that no rule
passes, or a tuple that drifts from its dataclass, fails here."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from subtitles_workflow.asr_options import AsrOptions
from subtitles_workflow.cues import Style
from subtitles_workflow.renderers import AssStyle
from subtitles_workflow.word_timing import EdgeLimits

PROJECT = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((PROJECT / "config" / "schemas" / "config.schema.yaml").read_text())
KEY_TUPLE = re.compile(r"^([A-Z_]+_KEYS) = (\([^)]*\))", re.MULTILINE)

# block -> (the rule file and its key tuple, the keys that rule does not pass in it and where they go)
PASSED = {
    "asr": ("asr.smk", "ASR_DECODING_KEYS", {
        "model": "the model param and input (rules/common/models.smk)",
        "worker": "a resource (switching it re-runs nothing)",
        "initial_prompt": "the vocabulary param (per film)", "hotwords": "the vocabulary param (per film)",
        "language_threshold": "the language_policy param (auto films only)",
        "language_fallback": "the language_policy param (auto films only)",
    }),
    "timing": ("timing.smk", "TIMING_KEYS", {}),
    "translate": ("translate.smk", "TRANSLATION_KEYS", {
        "backends": "which rule runs the pair (rules/common/translation.smk)",
        "models": "the model param and input",
    }),
    "vad": ("vad.smk", "VAD_KEYS", {
        "activate": "whether the stage is in the DAG", "backend": "the backend param and which rule",
        "pyannote_model": "the pyannote_model param and the model input",
    }),
    "subtitles": ("subtitles.smk", "SUBTITLE_KEYS", {}),
    "ass_style": ("subtitles.smk", "ASS_STYLE_KEYS", {}),
}
# block -> the dataclass the stage builds from what the rule passes, and the fields that do not come from the block
DATACLASSES = {
    "asr": (AsrOptions, {"initial_prompt", "hotwords", "task"}),
    "timing": (EdgeLimits, set()),
    "subtitles": (Style, set()),
    "ass_style": (AssStyle, set()),
}


def key_tuples(rule_file: str) -> dict[str, tuple[str, ...]]:
    text = (PROJECT / "rules" / rule_file).read_text()
    return {name: ast.literal_eval(value) for name, value in KEY_TUPLE.findall(text)}


@pytest.mark.parametrize("block", sorted(PASSED))
def test_the_rule_names_every_key_of_its_block(block):
    rule_file, name, elsewhere = PASSED[block]
    tuples = key_tuples(rule_file)
    assert name in tuples, f"rules/{rule_file} names no {name}"
    passed = tuples[name]
    assert len(set(passed)) == len(passed)
    schema_keys = set(SCHEMA["properties"][block]["properties"])
    assert set(passed) | set(elsewhere) == schema_keys
    assert not set(passed) & set(elsewhere)


@pytest.mark.parametrize("block", sorted(DATACLASSES))
def test_the_key_tuple_is_the_stage_dataclass(block):
    rule_file, name, _ = PASSED[block]
    dataclass, not_from_block = DATACLASSES[block]
    fields = {field.name for field in dataclasses.fields(dataclass)}
    assert set(key_tuples(rule_file)[name]) == fields - not_from_block


def test_the_rules_call_the_tuples_they_name():
    """A tuple no params line uses would name keys that reach no stage."""
    uses = {
        "asr.smk": ["asr_options_param(ASR_DECODING_KEYS)"],
        "translate.smk": ['asr_options_param(ASR_DECODING_KEYS, task="translate")', 'options_param("translate", TRANSLATION_KEYS)'],
        "timing.smk": ['options_param("timing", TIMING_KEYS)'],
        "vad.smk": ['options_param("vad", VAD_KEYS)'],
        "subtitles.smk": ["subtitle_render(SUBTITLE_KEYS, ASS_STYLE_KEYS)"],
    }  # fmt: skip
    for rule_file, calls in uses.items():
        text = (PROJECT / "rules" / rule_file).read_text()
        for call in calls:
            assert call in text, f"rules/{rule_file} does not pass {call}"


# What config/config.yaml sets: the choices every project makes. Every other default is the
# schema's alone (a second copy in config.yaml would drift from it, and from the docs' table).
PROJECT_CHOICES = {"source_language", "target_languages", "media_sheet", "subtitle_formats", "asr.model", "variants"}


def test_config_yaml_holds_the_project_choices_and_no_other_default():
    def leaves(mapping: dict, prefix: str = "") -> set[str]:
        found = set()
        for key, value in mapping.items():
            dotted = f"{prefix}{key}"
            found |= leaves(value, f"{dotted}.") if isinstance(value, dict) and value and key != "variants" else {dotted}
        return found

    config = yaml.safe_load((PROJECT / "config" / "config.yaml").read_text())
    assert leaves(config) == PROJECT_CHOICES
