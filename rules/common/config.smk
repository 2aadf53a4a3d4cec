# The config, checked before anything reads it: config/config.yaml, then any --configfile,
# then the --config values (dotted keys such as asr.beam_size=3 get through Snakemake's
# command line thanks to rules/snakemake_cli_hook.py). How Snakemake was called comes
# from rules/hooks.smk.

import os

from snakemake.utils import update_config

from subtitles_workflow.config_check import (
    complete_mappings,
    config_problem,
    fill_defaults,
    load_yaml,
    typed,
)
from subtitles_workflow.io import DEBUG_VARIABLE
from subtitles_workflow.languages import LANGUAGES

CONFIG_SCHEMA = load_yaml(PROJECT / "config" / "schemas" / "config.schema.yaml")


def check_language(code, where, allow_auto=True):
    if not (code in LANGUAGES or (allow_auto and code == "auto")):
        fail(
            f"{where}: unknown language code {code!r}; use an ISO 639-1 code Whisper knows "
            f"(e.g. en, hi, fr, es, de, ja; all in scripts/subtitles_workflow/languages.py)"
            + (" or 'auto'" if allow_auto else "")
        )


def read_config():
    """Type, check and complete `config` in place. Snakemake has merged the --config values
    as text wherever they did not look like a number or True/False (`debug=true`): merge
    them again, typed as the schema says."""
    given = command_line_config()
    update_config(config, typed(given, CONFIG_SCHEMA))
    complete_mappings(config, CONFIG_SCHEMA)
    problem = config_problem(config, CONFIG_SCHEMA, given, config_files())
    if problem:
        fail(problem)
    fill_defaults(config, CONFIG_SCHEMA)
    check_language(config["source_language"], "config source_language")
    for code in config["target_languages"]:
        check_language(code, "config target_languages", allow_auto=False)
    fallback = config["asr"]["language_fallback"]
    if fallback != "stop":
        check_language(fallback, "config asr.language_fallback", allow_auto=False)
    pass_debug_to_jobs()


def is_activated(stage):
    return bool(config[stage]["activate"])


def pass_debug_to_jobs():
    """`debug` reaches every job, the warm ASR worker's requests included, through the
    environment the jobs inherit (DEBUG_VARIABLE, read by setup_logging in
    scripts/subtitles_workflow/io.py), not as a param: it changes logs only, so switching
    it re-runs nothing. Set each time the workflow is parsed (a cluster job's too)."""
    if config["debug"]:
        os.environ[DEBUG_VARIABLE] = "1"
    else:
        os.environ.pop(DEBUG_VARIABLE, None)
