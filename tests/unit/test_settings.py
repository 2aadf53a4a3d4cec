"""Settings in one hop (issue 30): each rule names the config keys it passes, as a literal key
tuple beside the rule or as a param of its own (grep a key in rules/ and you find the rule).
The tuples are exactly what the stage's options dataclass takes and, with the keys routed
elsewhere (listed here with where they go), exactly the keys of the schema's block; every
block of the schema is listed. A key added to the schema that no rule passes, or a tuple
that drifts from its dataclass, fails here. And config/config.yaml repeats no default."""

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
# block -> (the rule file, each key the rule passes as a param of its own, and the keys that go elsewhere)
OWN_PARAMS = {
    "separate": ("separate.smk", ("model", "name", "shifts", "device"), {"activate": "whether the stage is in the DAG"}),
    "diarize": ("diarize.smk", ("model", "device"), {"activate": "whether the stage is in the DAG"}),
    "shots": ("shots.smk", ("threshold",), {"activate": "whether the stage is in the DAG"}),
    "align": ("align.smk", (), {"activate": "whether the stage is in the DAG",
                                "models": "the model param (get_align_model, rules/common/params.smk)"}),
    "demux": ("demux.smk", (), {"audio_stream": "the source param, per film (get_demux_source, rules/common/media.smk)"}),
}  # fmt: skip
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


@pytest.mark.parametrize("block", sorted(OWN_PARAMS))
def test_a_rule_passing_keys_one_by_one_names_each(block):
    rule_file, passed, elsewhere = OWN_PARAMS[block]
    text = (PROJECT / "rules" / rule_file).read_text()
    for key in passed:
        assert f'config["{block}"]["{key}"]' in text, f"rules/{rule_file} does not pass {block}.{key}"
    assert set(passed) | set(elsewhere) == set(SCHEMA["properties"][block]["properties"])


# Blocks no stage is told: the workflow itself reads them.
WORKFLOW_BLOCKS = {"envs": "the env spec each stage runs on (STAGE_ENVS, rules/common/envs.smk)"}


def test_every_stage_block_is_checked():
    """A new block of settings in the schema needs its row in PASSED, OWN_PARAMS or WORKFLOW_BLOCKS."""
    blocks = {key for key, spec in SCHEMA["properties"].items() if spec.get("type") == "object" and "properties" in spec}
    assert blocks - set(PASSED) - set(OWN_PARAMS) - set(WORKFLOW_BLOCKS) == set()


@pytest.mark.parametrize("block", sorted(DATACLASSES))
def test_the_key_tuple_is_the_stage_dataclass(block):
    rule_file, name, _ = PASSED[block]
    dataclass, not_from_block = DATACLASSES[block]
    fields = {field.name for field in dataclasses.fields(dataclass)}
    assert set(key_tuples(rule_file)[name]) == fields - not_from_block


def test_the_rules_call_the_tuples_they_name():
    """A tuple no params line uses would name keys that reach no stage."""
    uses = {  # each call, as often as the file has rules that pass it
        "asr.smk": {"asr_decoding_options(ASR_DECODING_KEYS)": 1},
        "translate.smk": {'asr_decoding_options(ASR_DECODING_KEYS, task="translate")': 1, 'config_options("translate", TRANSLATION_KEYS)': 2},
        "timing.smk": {'config_options("timing", TIMING_KEYS)': 2},
        "vad.smk": {'config_options("vad", VAD_KEYS)': 2},
        "subtitles.smk": {"subtitle_render(SUBTITLE_KEYS, ASS_STYLE_KEYS)": 1},
        # the variant layer's copies of the same rules (the subtitles rule's render serves both)
        "variants.smk": {"variant_asr_options(ASR_DECODING_KEYS)": 1, 'variant_asr_options(ASR_DECODING_KEYS, task="translate")': 1,
                         'variant_options("timing", TIMING_KEYS)': 2, 'variant_options("translate", TRANSLATION_KEYS)': 2},
    }  # fmt: skip
    for rule_file, calls in uses.items():
        text = (PROJECT / "rules" / rule_file).read_text()
        for call, count in calls.items():
            assert text.count(call) == count, f"rules/{rule_file} passes {call} {text.count(call)} times, not {count}"


# config/config.yaml holds what the project chooses. It shows a newcomer these few keys even at
# their defaults; any other key it sets must differ from the schema's default (a second copy of
# a default would drift from the schema, and from docs/configuration.md's table).
SHOWN_AT_DEFAULT = {"source_language", "target_languages", "media_sheet", "subtitle_formats", "asr.model", "variants"}


def defaults_repeated(config: dict, schema: dict, prefix: str = "") -> set[str]:
    """The dotted keys `config` sets to exactly the schema's default."""
    found = set()
    for key, value in config.items():
        spec = schema.get("properties", {}).get(key, {})
        if "default" in spec and value == spec["default"]:
            found.add(f"{prefix}{key}")
        elif isinstance(value, dict):
            found |= defaults_repeated(value, spec, f"{prefix}{key}.")
    return found


def test_config_yaml_repeats_no_default_but_the_keys_it_shows():
    config = yaml.safe_load((PROJECT / "config" / "config.yaml").read_text())
    assert defaults_repeated(config, SCHEMA) <= SHOWN_AT_DEFAULT


def test_a_repeated_default_is_found_and_a_choice_is_not():
    assert defaults_repeated({"asr": {"beam_size": 5, "model": "tiny.en"}, "timing": {"end_pad_s": 0.05}}, SCHEMA) == {"asr.beam_size"}
