"""--config on the command line: the hook that lets dotted keys through Snakemake's CLI
(rules/snakemake_cli_hook.py), and the typing and error lines of scripts/subtitles_workflow/config_check.py."""

from __future__ import annotations

import copy
import importlib.util
import inspect
import subprocess
import sys
import sysconfig
import types
from pathlib import Path

import pytest
import snakemake
import snakemake.cli
import snakemake.utils

from subtitles_workflow.config_check import allowed, complete_mappings, config_problem, fill_defaults, load_yaml, typed
from conftest import PROJECT

HOOK_FILE = PROJECT / "rules" / "snakemake_cli_hook.py"
SCHEMA = load_yaml(PROJECT / "config" / "schemas" / "config.schema.yaml")
CONFIG = load_yaml(PROJECT / "config" / "config.yaml")


def load_hook():
    spec = importlib.util.spec_from_file_location("dotted_config_hook_under_test", HOOK_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def snakemake_parse_config():
    """Snakemake's own parse_config, unwrapped when the hook is installed in this env."""
    return inspect.unwrap(snakemake.cli.parse_config)


# ------------------------------------------------------------------ the hook in Snakemake's CLI
def test_hook_was_tested_with_this_snakemake():
    """Fails when Snakemake is upgraded to another minor release: check parse_config and
    args_to_api again (the tests below) and rules/hooks.smk's internals (test_hooks.py), then
    raise TESTED_SNAKEMAKE in the hook, which both follow."""
    assert load_hook().tested(snakemake.__version__), (snakemake.__version__, load_hook().TESTED_SNAKEMAKE)


def test_snakemake_parse_config_has_the_shape_the_hook_wraps():
    parse_config = snakemake_parse_config()
    assert list(inspect.signature(parse_config).parameters) == ["entries"]
    # args_to_api() (what main() runs) looks parse_config up as a module global when it runs,
    # so replacing the global reaches it.
    assert "config=parse_config(args.config)" in inspect.getsource(snakemake.cli.args_to_api)
    # Dotted keys are still refused (else the hook is no longer needed) ...
    with pytest.raises(ValueError, match="valid identifier"):
        parse_config(["asr.beam_size=3"])
    # ... and values are typed as the hook and rules/common/config.smk expect.
    assert parse_config(["value=3"]) == {"value": 3}
    assert parse_config(["value=True"]) == {"value": True}
    assert parse_config(["value=true"]) == {"value": "true"}
    assert parse_config(['value={"max_line_chars": 30}']) == {"value": {"max_line_chars": "30"}}
    assert parse_config(["value="]) == {"value": None}
    assert parse_config(None) == {}


def test_dotted_keys_become_nested_mappings():
    parse = load_hook().parse_config_with_dotted_keys
    entries = ["debug=true", "asr.beam_size=3", "asr.model=tiny.en", 'subtitles={"fps": 25}', "subtitles.max_line_chars=30"]
    assert parse(snakemake_parse_config(), entries) == {
        "debug": "true",
        "asr": {"beam_size": 3, "model": "tiny.en"},
        "subtitles": {"fps": "25", "max_line_chars": 30},
    }
    # A key that is not a dotted path is Snakemake's to refuse.
    with pytest.raises(ValueError, match="valid identifier"):
        parse(snakemake_parse_config(), ["asr..model=tiny.en"])


def test_hook_leaves_an_untested_snakemake_alone():
    hook = load_hook()
    hook.TESTED_SNAKEMAKE = "0.0"
    cli = types.SimpleNamespace(parse_config=snakemake_parse_config())
    hook.wrap_parse_config(cli)
    assert cli.parse_config is snakemake_parse_config()


def test_installed_hook_is_this_one():
    """`make` installs rules/snakemake_cli_hook.py into the workflow env; run it after an edit."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    assert (site_packages / "snakemake_cli_hook.py").read_text() == HOOK_FILE.read_text()
    assert "install_import_hook()" in (site_packages / "snakemake_cli_hook.pth").read_text()
    # the copy an env built before the move installed under the old name would wrap twice
    assert not (site_packages / "snakemake_dotted_config.pth").exists()


def test_hook_wraps_parse_config_once_when_snakemake_cli_is_imported():
    probe = (
        "import sys; lazy = 'snakemake' not in sys.modules; import snakemake.cli; "
        "wrapper = snakemake.cli.parse_config; original = getattr(wrapper, '__wrapped__', wrapper); "
        "print(lazy, wrapper is not original, not hasattr(original, '__wrapped__'))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "True"]


# ---------------------------------------------------------------- typing through the schema
@pytest.mark.parametrize(
    "given, expected",
    [
        ({"debug": "true"}, {"debug": True}),
        ({"qc_report": "yes"}, {"qc_report": True}),
        ({"subtitles": {"max_line_chars": "30", "min_duration": "1.5"}}, {"subtitles": {"max_line_chars": 30, "min_duration": 1.5}}),
        ({"asr": {"batch_size": "auto", "beam_size": "3"}}, {"asr": {"batch_size": "auto", "beam_size": 3}}),
        ({"burn_in_language": "no"}, {"burn_in_language": "no"}),  # Norwegian, not false
        ({"burn_in_language": "null"}, {"burn_in_language": None}),
        ({"target_languages": "[hi, de]"}, {"target_languages": ["hi", "de"]}),
        ({"asr": {"model": 1}}, {"asr": {"model": "1"}}),  # Snakemake made it a number
        ({"separate": {"model": None}}, {"separate": {"model": ""}}),  # `separate.model=`
        ({"asr": {"beam_size": "abc"}}, {"asr": {"beam_size": "abc"}}),  # left for the error
        ({"asr": {"beam_size": 0}}, {"asr": {"beam_size": 0}}),
    ],
)
def test_command_line_values_are_typed_through_the_schema(given, expected):
    assert typed(given, SCHEMA) == expected


def test_allowed_values_in_words():
    properties = SCHEMA["properties"]
    assert allowed(properties["asr"]["properties"]["beam_size"]) == "an integer >= 1"
    assert allowed(properties["demux"]["properties"]["audio_stream"]) == "an integer >= 0 or auto"
    assert allowed(properties["asr"]["properties"]["device"]) == "one of auto, cpu, cuda"
    assert allowed(properties["subtitle_formats"]) == "a list of (one of srt, vtt, ass)"
    assert allowed(properties["burn_in_language"]) == "text matching ^([a-z]{2,3}|source)$, or null"


# ------------------------------------------------------------------ one line naming the key
def with_change(change: dict) -> dict:
    config = load_yaml(PROJECT / "config" / "config.yaml")
    for key, value in change.items():
        if isinstance(value, dict):
            config[key] = {**config.get(key, {}), **value}
        else:
            config[key] = value
    return config


def test_error_names_the_key_and_the_command_line():
    command_line = {"asr": {"beam_size": "abc"}}
    assert config_problem(with_change(command_line), SCHEMA, command_line) == (
        "config key asr.beam_size, set on the command line (--config asr.beam_size=abc): "
        "'abc' is not of type 'integer'; allowed: an integer >= 1"
    )


def test_error_names_an_unknown_key_and_the_known_ones():
    command_line = {"asr": {"beem_size": 3}}
    assert config_problem(with_change(command_line), SCHEMA, command_line) == (
        "config key asr.beem_size, set on the command line (--config asr.beem_size=3): unknown key; "
        "allowed under asr: backend, model, initial_prompt, hotwords, device, compute_type, beam_size, "
        "vad_filter, condition_on_previous_text, worker, batch_size, language_threshold, language_fallback"
    )


def test_error_names_the_config_file_when_the_command_line_did_not_set_the_key(tmp_path):
    config = with_change({"subtitles": {"max_lines": 5}})
    assert config_problem(config, SCHEMA, {"debug": True}) == (
        "config key subtitles.max_lines, set in config/config.yaml (every key: "
        "config/schemas/config.schema.yaml): 5 is greater than the maximum of 3; "
        "allowed: an integer >= 1 and <= 3"
    )
    extra = tmp_path / "site.yaml"
    extra.write_text("subtitles: {max_lines: 5}\n")
    assert f"config key subtitles.max_lines, set in {extra} (--configfile): 5 is" in config_problem(
        config, SCHEMA, {}, [extra]
    )


def test_valid_config_has_no_problem():
    assert config_problem(CONFIG, SCHEMA, {}) is None


@pytest.mark.parametrize("config", [{}, {"asr": {"model": "tiny.en"}, "subtitles": {"max_cps": {"default": 20}}}])
def test_defaults_are_those_snakemake_would_fill_in(config):
    ours, snakemakes = copy.deepcopy(config), copy.deepcopy(config)
    fill_defaults(ours, SCHEMA)
    snakemake.utils.validate(snakemakes, str(PROJECT / "config" / "schemas" / "config.schema.yaml"))
    assert ours == snakemakes and ours["asr"]["beam_size"] == 5


def test_a_mapping_set_in_part_keeps_the_default_keys_it_leaves_out():
    """config/config.yaml sets only the project's choices, so `--config subtitles.max_cps.hi=20`
    (or a promoted variant) meets no max_cps there to merge into: it must still mean 17 for the
    other languages, as when config.yaml spelled the default out."""
    config = {**copy.deepcopy(CONFIG), "subtitles": {"max_cps": {"hi": 20}}}
    complete_mappings(config, SCHEMA)
    assert config_problem(config, SCHEMA, {"subtitles": {"max_cps": {"hi": 20}}}) is None
    fill_defaults(config, SCHEMA)
    assert config["subtitles"]["max_cps"] == {"default": 17, "hi": 20}
    assert config["subtitles"]["max_lines"] == 2
