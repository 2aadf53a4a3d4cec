"""compare_variants (the variants' comparison table and cue diff) and the config edit that
promotes a variant (scripts/subtitles_workflow/yaml_edit.py)."""

from __future__ import annotations

import json
import sys

import pytest
import yaml

import compare_variants
from subtitles_workflow.yaml_edit import set_values

SRT = "1\n00:00:01,000 --> 00:00:02,000\n{a}\n\n2\n00:00:03,000 --> 00:00:04,000\n{b}\n\n"


def test_chrf_without_sacrebleu_matches_sacrebleu(monkeypatch):
    """The fallback chrF gives sacrebleu 2's sentence_chrf values (computed with the report env)."""
    monkeypatch.setitem(sys.modules, "sacrebleu", None)
    assert compare_variants.chrf("the cat sat on the mat", "the cat is on the mat") == pytest.approx(64.5779420625287)
    assert compare_variants.chrf("Der Hund bellt laut", "Der Hund bellte sehr laut") == pytest.approx(62.64965407820748)
    assert compare_variants.chrf("", "anything") == 0.0


def test_cue_diff_pairs_cues_by_time():
    default = [(1.0, 2.0, "one"), (3.0, 4.0, "two"), (5.0, 6.0, "three")]
    other = [(1.0, 2.0, "one"), (3.1, 4.0, "two"), (5.0, 6.0, "three!"), (7.0, 8.0, "four")]
    rows = compare_variants.cue_diff("film", "v", default, other)
    assert [(row["change"], row["default_cue"], row["variant_cue"]) for row in rows] == [
        ("timing", "2", "2"),
        ("changed", "3", "3"),
        ("added", "", "4"),
    ]
    assert rows[0]["start_shift"] == "+0.100"


def test_a_narrower_variant_is_a_resplit_of_the_same_words_never_a_shift_between_unrelated_cues():
    """A 32-character variant cuts the same words into more cues: paired by index, every cue
    read 'changed' with shifts of seconds between unrelated cues."""
    default = [(0.0, 3.0, "The quick brown fox jumps\nover the lazy dog."), (4.0, 6.0, "It was asleep.")]
    other = [(0.0, 1.4, "The quick brown fox"), (1.5, 3.0, "jumps over the lazy dog."), (4.0, 6.0, "It was asleep.")]
    rows = compare_variants.cue_diff("film", "narrow", default, other)
    assert [(row["change"], row["default_cue"], row["variant_cue"]) for row in rows] == [("resplit", "1", "1-2")]
    assert (rows[0]["start_shift"], rows[0]["end_shift"]) == ("+0.000", "+0.000")


def test_cues_that_overlap_nothing_are_added_or_removed():
    default = [(0.0, 1.0, "a"), (5.0, 6.0, "b")]
    other = [(2.0, 3.0, "c"), (5.5, 6.5, "b")]
    rows = compare_variants.cue_diff("film", "v", default, other)
    assert [(row["change"], row["default_cue"], row["variant_cue"]) for row in rows] == [
        ("removed", "1", ""),
        ("added", "", "1"),
        ("timing", "2", "2"),
    ]


def test_asr_memory_is_the_decoding_process_s_whichever_job_started_the_worker(tmp_path):
    """The benchmark of the job that started the warm worker counts the worker (500 MB), the
    others' do not (38 MB): the transcript's decoder peak is the same measure for both."""
    (tmp_path / "a.srt").write_text(SRT.format(a="one", b="two"))
    (tmp_path / "asr.tsv").write_text("s\th:m:s\tmax_rss\n2.0\t0:00:02\t38.1\n")
    for name, peak in (("default", 512), ("v", 498)):
        (tmp_path / f"{name}.qc.json").write_text(json.dumps({"counts": {}, "problems": 0, "decoder_peak_rss_mb": peak}))

    def row(variant):
        return {
            "variant": variant, "film": "f", "source_language": "en", "stages": ["asr", "subtitles"] if variant == "v" else [],
            "subtitles": {"en": str(tmp_path / "a.srt")}, "qc": {"en": str(tmp_path / f"{variant}.qc.json")},
            "references": {}, "benchmarks": {"asr": [str(tmp_path / "asr.tsv")]},
        }  # fmt: skip

    table, _ = compare_variants.compare([row("default"), row("v")])
    assert [r["asr_max_rss_mb"] for r in table[:2]] == ["512", "498"]


def test_the_better_build_of_each_column_is_named_and_losing_speech_is_worse():
    rows = [
        {"variant": "default", "wer": 0.1, "chrf": "fr=50.0", "problems": 7, "uncovered_speech_s": 0.0,
         "speech_covered_share": 0.99, "language_check": "ok", "asr_s": ""},
        {"variant": "tiny", "wer": 0.3, "chrf": "fr=40.0", "problems": 4, "uncovered_speech_s": 19.0,
         "speech_covered_share": 0.66, "language_check": "detected 'it' with probability 0.28", "asr_s": "3.0"},
    ]  # fmt: skip
    better = compare_variants.better_builds(rows)
    assert better["wer"] == better["chrf"] == better["speech_covered_share"] == "default"
    assert better["uncovered_speech_s"] == better["language_check"] == "default"
    assert better["problems"] == "tiny"  # fewer counted problems: the QC must count lost speech (it does)
    assert better["asr_s"] == ""  # one value only: nothing to compare


def test_compare_rows(tmp_path):
    """WER against the reference and agreement with the default, QC counts summed over
    languages, benchmark seconds and peak memory of the rebuilt stage."""
    (tmp_path / "default.srt").write_text(SRT.format(a="and so my fellow", b="americans ask not"))
    (tmp_path / "v.srt").write_text(SRT.format(a="and so my fellow", b="americans ask"))
    (tmp_path / "ref.txt").write_text("And so, my fellow Americans, ask not")
    counts = {kind: 0 for kind in compare_variants.QC_KINDS}
    (tmp_path / "qc.json").write_text(json.dumps({"counts": {**counts, "loops": 1}, "problems": 2}))
    (tmp_path / "asr.tsv").write_text("s\th:m:s\tmax_rss\n12.5\t0:00:12\t812.4\n")

    def row(variant, srt, stages, benchmarks):
        return {
            "variant": variant, "film": "jfk", "source_language": "en", "stages": stages,
            "subtitles": {"en": str(tmp_path / srt)}, "qc": {"en": str(tmp_path / "qc.json")},
            "references": {"en": str(tmp_path / "ref.txt")}, "benchmarks": benchmarks,
        }  # fmt: skip

    table, diffs = compare_variants.compare(
        [row("default", "default.srt", [], {"asr": [str(tmp_path / "none.tsv")]}),
         row("v", "v.srt", ["asr", "subtitles"], {"asr": [str(tmp_path / "asr.tsv")]})]
    )  # fmt: skip
    assert [r["wer"] for r in table] == [0.0, round(1 / 7, 4), "default"]
    assert [r["agreement_wer"] for r in table] == [0.0, round(1 / 7, 4), "default"]
    assert table[1]["loops"] == 1 and table[1]["problems"] == 2
    assert (table[0]["asr_s"], table[1]["asr_s"], table[1]["asr_max_rss_mb"]) == ("", "12.50", "812")
    assert table[1]["rebuilt"] == "asr,subtitles"
    assert [d["change"] for d in diffs] == ["changed"]
    assert [r["variant"] for r in table] == ["default", "v", "better"]
    assert table[2]["wer"] == "default" and table[2]["problems"] == ""  # one QC file for both: a tie
    text = compare_variants.tsv(table, compare_variants.TABLE_HEADER)
    assert text.splitlines()[0].split("\t")[:5] == ["film", "variant", "rebuilt", "wer", "agreement_wer"]


CONFIG = """\
# top comment
asr:
  # the model
  model: base  # bundled
  beam_size: 5
subtitles:
  max_cps:
    default: 17
    hi: 22
align:
  models: {}
envs: {}
"""


def test_promote_edits_values_and_keeps_comments():
    text = set_values(
        CONFIG,
        {"asr": {"model": "tiny.en"}, "subtitles": {"max_cps": {"default": 15}},
         "align": {"models": {"en": "/m"}}, "envs": {"asr": "envs/asr-next.yaml"}, "debug": True},
    )  # fmt: skip
    assert "  model: tiny.en  # bundled\n" in text
    assert "# top comment\n" in text and "  # the model\n" in text
    assert "    default: 15\n    hi: 22\n" in text
    assert "  models: {en: /m}\n" in text
    assert "envs: {asr: envs/asr-next.yaml}\n" in text
    config = yaml.safe_load(text)
    assert config["debug"] is True and config["asr"]["beam_size"] == 5
