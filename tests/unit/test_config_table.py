"""docs/configuration.md's config table is the schema's: every key of
config/schemas/config.schema.yaml, its default and its description, as docs/config_table.py
writes them. The schema is the one place a default or a meaning is written."""

from __future__ import annotations

import copy
import importlib.util

import pytest

from conftest import PROJECT

spec = importlib.util.spec_from_file_location("docs_config_table", PROJECT / "docs" / "config_table.py")
config_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(config_table)

FIX = "the config table is not the schema's: run `.venvs/workflow/bin/python docs/config_table.py` and commit docs/configuration.md"


def committed_page() -> str:
    return config_table.PAGE.read_text(encoding="utf-8")


def test_the_committed_table_is_the_schemas():
    page = committed_page()
    assert config_table.with_table(page, config_table.load_schema()) == page, FIX


def test_a_changed_description_or_default_makes_the_table_stale():
    page, schema = committed_page(), config_table.load_schema()
    described = copy.deepcopy(schema)
    described["properties"]["asr"]["properties"]["beam_size"]["description"] += " Changed."
    defaulted = copy.deepcopy(schema)
    defaulted["properties"]["subtitles"]["properties"]["max_line_chars"]["default"] = 37
    for changed in (described, defaulted):
        assert config_table.with_table(page, changed) != page


def test_every_key_is_in_the_table_with_its_default():
    page = committed_page()
    for key, default in [
        ("source_language", "`en`"),
        ("asr.beam_size", "`5`"),
        ("subtitles.max_cps", "`{default: 17, hi: 22}`"),
        ("translate.models.indictrans2.en-indic", "`ai4bharat/indictrans2-en-indic-dist-200M`"),
        ("asr.initial_prompt", '`""`'),
        ("burn_in_language", "`null`"),
    ]:
        assert f"| `{key}` | {default} |" in page, key


def test_a_key_without_a_description_is_refused():
    schema = config_table.load_schema()
    del schema["properties"]["asr"]["properties"]["beam_size"]["description"]
    with pytest.raises(SystemExit, match="asr.beam_size has no description"):
        config_table.table(schema)
